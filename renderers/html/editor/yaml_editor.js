/* The YAML editor of the staff pages: CodeMirror 6 over a plain textarea.
 *
 * Built by scripts/bootstrap.sh with esbuild into renderers/html/static/vendor/editor.js (generated,
 * not committed). Enhances every
 *   <textarea data-yaml-editor name="text" [data-check-url="URL"] [readonly] [data-problems="ID"]
 *             data-text-count="发现 {n} 个问题" data-text-none=... (the texts, from the catalogue)>
 * inside a normal form (templates/staff/yaml_editor.html draws one): line numbers, YAML highlighting,
 * a font for Chinese text, the textarea kept in step so a plain submit posts the edited text;
 * read-only when the textarea is. With data-check-url the text is checked as it changes (600 ms after
 * the last key): the textarea's form is posted there (all its fields, `text` the editor's) and the
 * answer {"problems": [{line, severity, code, message, hint}]} is shown at the lines (none: line 1)
 * and listed in the element data-problems names (an aria-live region; made after the editor if absent).
 *
 * Content-Security-Policy (style-src 'self', no inline style): CodeMirror writes its styles with
 * style-mod, which uses a <style> element in a document (refused by the policy) but a constructed
 * stylesheet (adoptedStyleSheets, which the policy does not govern) in a shadow root. So the editor
 * lives in a shadow root of its own; every other style CodeMirror sets goes through the CSSOM
 * (element.style), which the policy allows. No eval, no inline script.
 */
import { EditorState } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
  highlightSpecialChars,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  syntaxHighlighting, defaultHighlightStyle, indentOnInput, indentUnit, bracketMatching,
} from "@codemirror/language";
import { linter, lintGutter, lintKeymap } from "@codemirror/lint";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { yaml } from "@codemirror/lang-yaml";

const DELAY_MS = 600;
const FONT = '"Noto Sans Mono CJK SC", "Sarasa Mono SC", "Source Han Mono SC", "Noto Sans CJK SC", ' +
  '"Microsoft YaHei", "PingFang SC", ui-monospace, "DejaVu Sans Mono", monospace';

const theme = EditorView.theme({
  "&": { backgroundColor: "#fff", color: "#1a1a1a", border: "1px solid #6b7280", borderRadius: "4px",
         fontSize: "15px", maxHeight: "70vh" },
  "&.cm-focused": { outline: "3px solid #1d70b8", outlineOffset: "1px" },
  ".cm-scroller": { fontFamily: FONT, lineHeight: "1.6", overflow: "auto", minHeight: "12em" },
  ".cm-gutters": { backgroundColor: "#f3f4f6", color: "#4b5563", borderRight: "1px solid #d1d5db" },
  ".cm-activeLineGutter": { backgroundColor: "#dbeafe", color: "#1a1a1a" },
  ".cm-activeLine": { backgroundColor: "#f0f7ff" },
  "&.cm-editor-readonly .cm-activeLine": { backgroundColor: "transparent" },
  ".cm-tooltip-lint": { fontFamily: "system-ui, sans-serif", fontSize: "14px" },
  // @codemirror/lint draws its underlines and gutter markers as data: SVG images, which img-src
  // 'self' refuses: CSS does the same here
  ".cm-lintRange-error, .cm-lintRange-warning, .cm-lintRange-info, .cm-lintRange-hint": {
    backgroundImage: "none", textDecorationLine: "underline", textDecorationStyle: "wavy",
    textDecorationSkipInk: "none", textUnderlineOffset: "3px" },
  ".cm-lintRange-error": { textDecorationColor: "#c4190a" },
  ".cm-lintRange-warning": { textDecorationColor: "#b45309" },
  ".cm-lintRange-info, .cm-lintRange-hint": { textDecorationColor: "#4b5563" },
  ".cm-lint-marker": { content: "normal", width: ".8em", height: ".8em", margin: ".2em 0 0 .1em" },
  ".cm-lint-marker-error": { content: "normal", backgroundColor: "#d93a25", borderRadius: "50%" },
  ".cm-lint-marker-warning": { content: "normal", backgroundColor: "#e59b00", clipPath: "polygon(50% 0, 100% 100%, 0 100%)" },
  ".cm-lint-marker-info": { content: "normal", backgroundColor: "#6b7280" },
});

function texts(area) {
  const d = area.dataset;
  const fill = (template, values) => (template || "").replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  return {
    count: (n) => fill(d.textCount || "{n}", { n }),
    none: d.textNone || "",
    checking: d.textChecking || "",
    failed: d.textFailed || "",
    line: (line) => fill(d.textLine || "{line}", { line }),
    noLine: d.textNoLine || "",
    severity: (s) => (s === "warning" ? d.textWarning : d.textError) || s,
    hint: (hint) => fill(d.textHint || "{hint}", { hint }),
  };
}

function problemsRegion(area, host) {
  let region = area.dataset.problems && document.getElementById(area.dataset.problems);
  if (!region) {
    region = document.createElement("div");
    region.className = "yaml-problems";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    host.after(region);
  }
  return region;
}

function span(className, text) {
  const el = document.createElement("span");
  el.className = className;
  el.textContent = text;
  return el;
}

/* The list under the editor (same markup as yaml_editor.html's problem_list); a problem's line
   is a button that puts the cursor there. */
function showList(region, problems, t, view) {
  const count = document.createElement("p");
  count.className = "yaml-problems-count";
  count.textContent = problems.length ? t.count(problems.length) : t.none;
  const nodes = [count];
  if (problems.length) {
    const list = document.createElement("ol");
    list.className = "yaml-problems-list";
    for (const p of problems) {
      const item = document.createElement("li");
      item.dataset.line = p.line || "";
      item.dataset.code = p.code || "";
      item.dataset.severity = p.severity;
      item.append(span("tag", t.severity(p.severity)), " ");
      if (p.line) {
        const go = document.createElement("button");
        go.type = "button";
        go.className = "yaml-problem-line link";
        go.textContent = t.line(p.line);
        go.addEventListener("click", () => {
          const line = view.state.doc.line(Math.min(p.line, view.state.doc.lines));
          view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
          view.focus();
        });
        item.append(go);
      } else {
        item.append(span("yaml-problem-line", t.noLine));
      }
      item.append(" ", span("yaml-problem-message", p.message || ""), " ");
      const code = document.createElement("code");
      code.textContent = p.code || "";
      item.append(code);
      if (p.hint) item.append(" ", span("help", t.hint(p.hint)));
      list.append(item);
    }
    nodes.push(list);
  }
  region.replaceChildren(...nodes);
}

function showStatus(region, text) {
  const p = document.createElement("p");
  p.className = "yaml-problems-count";
  p.textContent = text;
  region.replaceChildren(p);
}

function diagnostics(doc, problems, t) {
  return problems.map((p) => {
    const line = doc.line(Math.max(1, Math.min(Number(p.line) || 1, doc.lines)));
    const message = (p.message || "") + (p.hint ? "\n" + t.hint(p.hint) : "");
    return { from: line.from, to: line.to, severity: p.severity === "warning" ? "warning" : "error",
             source: p.code || undefined, message };
  });
}

/* Post the textarea's form (every field; `text` the editor's) to the check URL. */
function checker(area, url, region, t) {
  return async (view) => {
    const doc = view.state.doc;
    const body = area.form ? new FormData(area.form) : new FormData();
    body.set(area.name || "text", doc.toString());
    if (area.name !== "text") body.set("text", doc.toString());
    let problems;
    try {
      const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
                                           headers: { Accept: "application/json" } });
      const answer = await response.json();
      if (!answer || !Array.isArray(answer.problems)) throw new Error("no problems list");
      problems = answer.problems;
    } catch (e) {
      if (view.state.doc === doc) showStatus(region, t.failed);
      return [];
    }
    if (view.state.doc !== doc) return [];           // typed on meanwhile: the next check will tell
    showList(region, problems, t, view);
    return diagnostics(doc, problems, t);
  };
}

function labelElement(area) {
  return area.id ? document.querySelector(`label[for="${CSS.escape(area.id)}"]`) : null;
}

function labelOf(area) {
  const label = labelElement(area);
  return (label && label.textContent.trim()) || area.getAttribute("aria-label") || area.name || "YAML";
}

export function enhance(area) {
  if (area.dataset.yamlEditorReady) return null;
  area.dataset.yamlEditorReady = "1";
  const readOnly = area.readOnly;
  const t = texts(area);
  const host = document.createElement("div");
  host.className = "yaml-editor-host";
  area.after(host);
  const shadow = host.attachShadow({ mode: "open" });
  const region = area.dataset.checkUrl ? problemsRegion(area, host) : null;
  const name = labelOf(area);
  const extensions = [
    lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), drawSelection(),
    history(), indentOnInput(), bracketMatching(), highlightActiveLine(), highlightSelectionMatches(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }), yaml(), indentUnit.of("  "),
    EditorState.tabSize.of(2), EditorView.lineWrapping, theme,
    keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, ...lintKeymap, indentWithTab]),
    EditorView.contentAttributes.of({ "aria-label": name, tabindex: "0", ...(readOnly ? { "aria-readonly": "true" } : {}) }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) area.value = update.state.doc.toString();
    }),
  ];
  if (readOnly) extensions.push(EditorState.readOnly.of(true), EditorView.editorAttributes.of({ class: "cm-editor-readonly" }));
  if (region) {
    showStatus(region, t.checking);
    extensions.push(lintGutter(), linter(checker(area, area.dataset.checkUrl, region, t), { delay: DELAY_MS }));
  }
  const view = new EditorView({ state: EditorState.create({ doc: area.value, extensions }), parent: shadow, root: shadow });
  area.hidden = true;                                   // still posted with its form
  const label = labelElement(area);
  if (label) label.addEventListener("click", (event) => { event.preventDefault(); view.focus(); });
  area.yamlEditor = view;
  return view;
}

function start() {
  document.querySelectorAll("textarea[data-yaml-editor]").forEach(enhance);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
