// The text of each page of a PDF as pdf.js (Firefox's PDF engine) extracts it:
// the items of getTextContent(), a line break after each item that ends a line.
// Usage: node tests/pdfjs_text.mjs file.pdf [top bottom]  →  a JSON array of page texts on
// stdout; with margins (points), only the text whose baseline lies between them.
import { readFileSync } from "node:fs";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const data = new Uint8Array(readFileSync(process.argv[2]));
const [top, bottom] = process.argv.slice(3).map(Number);
const document = await getDocument({ data, verbosity: 0, isEvalSupported: false }).promise;
const pages = [];
for (let number = 1; number <= document.numPages; number++) {
  const page = await document.getPage(number);
  const [, , , height] = page.view;
  const inside = (item) => top === undefined
    || (item.transform[5] > bottom && item.transform[5] < height - top);
  const content = await page.getTextContent();
  pages.push(content.items.filter(inside)
    .map((item) => item.str + (item.hasEOL ? "\n" : "")).join(""));
}
process.stdout.write(JSON.stringify(pages));
