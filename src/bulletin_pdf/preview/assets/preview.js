// The preview page: polls the build's status, shows its problems, and draws each new PDF
// with pdf.js (text selectable), keeping the reader on the page they were reading.
const POLL_MS = 500;
const MAX_WIDTH = 900;
const viewer = document.getElementById("viewer");
const stateText = document.getElementById("state");
let shownVersion = 0;
let loading = false;
let pdfjs = null;

async function poll() {
  try {
    const response = await fetch("/status", { cache: "no-store" });
    const status = await response.json();
    showStatus(status);
    if (status.version && status.version !== shownVersion && !loading) {
      loading = true;
      try { await showPdf(status); } finally { loading = false; }
    }
  } catch (error) {
    stateText.dataset.state = "failed";
    stateText.textContent = "预览服务已停止（bulletin-pdf watch 没有在运行）";
  }
  setTimeout(poll, POLL_MS);
}

function showStatus(status) {
  document.getElementById("issue").textContent = status.issue;
  stateText.dataset.state = status.state;
  if (status.state === "building") {
    stateText.textContent = "正在重排…";
  } else if (status.state === "failed") {
    stateText.textContent = `有问题（${status.finished_at}），PDF 未更新`;
  } else {
    stateText.textContent = `已更新 ${status.finished_at}：${status.pages} 页，用时 ${status.seconds.toFixed(1)} 秒`;
  }
  document.title = `${status.issue} · ${stateText.textContent}`;
  fillList("problems", status.state === "failed" ? status.problems : []);
  fillList("warnings", status.warnings);
  document.getElementById("warnings-title").textContent = `警告 ${status.warnings.length} 条`;
}

function fillList(id, items) {
  const list = document.getElementById(id);
  const wanted = items.join("\n");
  if (list.dataset.items === wanted) return;
  list.dataset.items = wanted;
  list.replaceChildren(...items.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  document.getElementById(`${id}-box`).hidden = items.length === 0;
}

// Where the reader is: the page at the top of the window and how far down it.
function readingPlace() {
  const pages = [...viewer.querySelectorAll(".page")];
  const top = window.scrollY + document.getElementById("bar").offsetHeight;
  for (const [index, page] of pages.entries()) {
    if (page.offsetTop + page.offsetHeight > top) {
      return { page: index, fraction: Math.max(0, (top - page.offsetTop) / page.offsetHeight) };
    }
  }
  return JSON.parse(sessionStorage.getItem("place") || '{"page": 0, "fraction": 0}');
}

function goTo(place) {
  const pages = viewer.querySelectorAll(".page");
  const page = pages[Math.min(place.page, pages.length - 1)];
  if (!page) return;
  const bar = document.getElementById("bar").offsetHeight;
  window.scrollTo(0, page.offsetTop + place.fraction * page.offsetHeight - bar);
}

async function showPdf(status) {
  const place = shownVersion ? readingPlace() : JSON.parse(sessionStorage.getItem("place") || '{"page": 0, "fraction": 0}');
  const url = `/document.pdf?v=${status.version}`;
  if (!status.pdfjs) {  // pdf.js not installed: the browser's own viewer
    viewer.replaceChildren(Object.assign(document.createElement("iframe"), { src: `${url}#page=${place.page + 1}`, title: "PDF" }));
    shownVersion = status.version;
    document.body.dataset.version = String(shownVersion);
    return;
  }
  pdfjs ??= await loadPdfjs();
  const pdf = await pdfjs.getDocument({ url }).promise;
  const pages = [];
  for (let number = 1; number <= pdf.numPages; number++) {
    pages.push(await placeholder(pdf, number));
  }
  const first = Math.min(place.page, pages.length - 1);
  await draw(pages[first]);  // the page being read first: no blank flash where the reader looks
  viewer.replaceChildren(...pages.map((page) => page.element));
  goTo(place);
  shownVersion = status.version;
  document.body.dataset.version = String(shownVersion);
  document.body.dataset.pages = String(pdf.numPages);
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) draw(entry.target.pageView);
    }
  }, { rootMargin: "100% 0px" });
  for (const page of pages) observer.observe(page.element);
}

async function loadPdfjs() {
  const module = await import("/pdfjs/pdf.mjs");
  module.GlobalWorkerOptions.workerSrc = "/pdfjs/pdf.worker.mjs";
  const css = Object.assign(document.createElement("link"), { rel: "stylesheet", href: "/pdfjs/pdf_viewer.css" });
  document.head.append(css);
  return module;
}

async function placeholder(pdf, number) {
  const page = await pdf.getPage(number);
  const natural = page.getViewport({ scale: 1 });
  const scale = Math.min(MAX_WIDTH, window.innerWidth * 0.96) / natural.width;
  const viewport = page.getViewport({ scale });
  const element = Object.assign(document.createElement("div"), { className: "page" });
  element.dataset.pageNumber = String(number);
  element.style.width = `${viewport.width}px`;
  element.style.height = `${viewport.height}px`;
  element.style.setProperty("--scale-factor", String(scale));
  const view = { element, page, viewport, drawn: null };
  element.pageView = view;
  return view;
}

function draw(view) {
  view.drawn ??= (async () => {
    const ratio = window.devicePixelRatio || 1;
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(view.viewport.width * ratio);
    canvas.height = Math.floor(view.viewport.height * ratio);
    const text = Object.assign(document.createElement("div"), { className: "textLayer" });
    view.element.replaceChildren(canvas, text);
    await view.page.render({
      canvasContext: canvas.getContext("2d"), viewport: view.viewport,
      transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0],
    }).promise;
    await new pdfjs.TextLayer({ textContentSource: view.page.streamTextContent(), container: text, viewport: view.viewport }).render();
    view.element.dataset.drawn = "true";
  })();
  return view.drawn;
}

window.addEventListener("scroll", () => {
  if (shownVersion) sessionStorage.setItem("place", JSON.stringify(readingPlace()));
}, { passive: true });

poll();
