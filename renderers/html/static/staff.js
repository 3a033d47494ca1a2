/* Staff flow page: draw the <pre class="mermaid"> diagram. Strict: labels are text, never HTML or scripts. */
window.mermaid.initialize({ startOnLoad: true, securityLevel: "strict" });
