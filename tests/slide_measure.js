// Measures every slide, in every fragment state, of the reveal.js deck open in this page, at the
// size of the screen; returns one record per problem. Used by tests/test_slides_browser.py.
// Limits: prose >= 24 px, code/output >= 20 px, graph labels >= 16 px (all as shown on the screen),
// no slide taller than the screen, no line running past the edge of its block without wrapping.
async ({minProse, minCode, minLabel}) => {
  const H = Reveal.getConfig().height, W = Reveal.getConfig().width;
  const problems = [], slides = Reveal.getSlides(), perSlide = [];
  const frame = () => new Promise(r => requestAnimationFrame(r));
  const mathjax = () => new Promise(r => (window.MathJax && MathJax.Hub) ? MathJax.Hub.Queue(r) : r());
  const visible = el => {
    for (let e = el; e && e.tagName; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
      if (e.tagName === 'SECTION') break;
    }
    return true;
  };
  const where = (el) => {
    const cell = el.closest('.jp-Cell');
    return ((cell ? cell.innerText : el.textContent) || '').trim().replace(/\s+/g, ' ').slice(0, 60);
  };
  for (let k = 0; k < slides.length; k++) {
    const slide = slides[k], idx = Reveal.getIndices(slide);
    const fragments = slide.querySelectorAll('.fragment').length;
    // the number of fragment steps: distinct data-fragment-index values
    const steps = new Set([...slide.querySelectorAll('.fragment')].map(f => f.getAttribute('data-fragment-index'))).size;
    const label = `slide ${k + 1}/${slides.length} (${idx.h}/${idx.v})`;
    const heading = ((slide.querySelector('h1, h2, h3') || {}).textContent || '').trim().slice(0, 50);
    const record = {slide: k + 1, h: idx.h, v: idx.v, heading, notes: !!slide.querySelector('aside.notes'),
                    reference: !!slide.querySelector('.afs-reference'), steps, height: 0,
                    minProse: Infinity, minCode: Infinity, minLabel: Infinity};
    for (let f = -1; f < Math.max(steps, 0); f++) {
      Reveal.slide(idx.h, idx.v, f);
      await frame();
      if (f === -1) await mathjax();
      const scale = slide.getBoundingClientRect().height / H;
      const state = `${label} "${heading}" fragment ${f + 1}/${steps}`;
      // vertical: the slide's content below its bottom edge
      const over = slide.scrollHeight - slide.clientHeight;
      record.height = Math.max(record.height, slide.scrollHeight);
      const top = slide.getBoundingClientRect().top;
      for (const child of slide.children) {
        if (child.tagName !== 'ASIDE') record.content = Math.max(record.content || 0, (child.getBoundingClientRect().bottom - top) / scale);
      }
      if (over > 1) problems.push({kind: 'overflow', where: state, px: over, height: slide.scrollHeight});
      // horizontal: a block whose content is wider than it (clipped or scrolled), or past the slide
      const srect = slide.getBoundingClientRect();
      for (const el of slide.querySelectorAll('pre, table, .jp-RenderedHTMLCommon, .jp-RenderedSVG, .jp-RenderedImage, .MathJax_Display, p, li')) {
        if (el.closest('aside') || !visible(el)) continue;
        const r = el.getBoundingClientRect();
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible' ||
            r.right > srect.right + 1) {
          problems.push({kind: 'clipped', where: state, what: where(el), px: Math.round(Math.max(el.scrollWidth - el.clientWidth, r.right - srect.right))});
        }
      }
      // text sizes: every visible text node
      const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (!n.textContent.trim()) continue;
        const el = n.parentElement;
        if (!el || el.closest('aside, script, style, .MathJax, .MathJax_Display, .MathJax_Preview, .MJX_Assistive_MathML, svg, .afs-widget') || !visible(el)) continue;
        const px = parseFloat(getComputedStyle(el).fontSize) * scale;
        const code = !!el.closest('pre, code, .jp-OutputArea, .jp-InputArea-editor');
        const han = (n.textContent.match(/[\u4e00-\u9fff]/g) || []).length;  // Chinese characters
        if (han) {
          record.cjk = (record.cjk || 0) + han;
          if (!code) record.minCJKProse = Math.min(record.minCJKProse ?? Infinity, px);
        }
        if (code) {
          record.minCode = Math.min(record.minCode, px);
          if (px < minCode - 0.01) problems.push({kind: 'small code', where: state, what: n.textContent.trim().slice(0, 40), px});
        } else {
          record.minProse = Math.min(record.minProse, px);
          if (px < minProse - 0.01) problems.push({kind: 'small prose', where: state, what: n.textContent.trim().slice(0, 40), px});
        }
      }
      // graph labels: font size times the SVG's scale on the screen
      for (const svg of slide.querySelectorAll('svg')) {
        if (svg.closest('aside, .MathJax, .MathJax_Display') || !visible(svg) || !svg.viewBox || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width) continue;
        const r = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
        const perUnit = Math.min(r.width / vb.width, r.height / vb.height);
        for (const t of svg.querySelectorAll('text')) {
          if (!t.textContent.trim()) continue;
          const px = (parseFloat(t.getAttribute('font-size')) || 14) * perUnit;
          record.minLabel = Math.min(record.minLabel, px);
          if (px < minLabel - 0.01) { problems.push({kind: 'small label', where: state, what: t.textContent.trim().slice(0, 30), px}); break; }
        }
        if (r.bottom > srect.bottom + 1 || r.right > srect.right + 1) problems.push({kind: 'graph outside', where: state});
      }
      // figures (PNG): the smallest text's size in the image's pixels (data-afs-label-px, from the
      // figure's font size in points and its dpi) times the zoom it is shown at
      for (const img of slide.querySelectorAll('img')) {
        if (img.closest('aside') || !visible(img)) continue;
        const r = img.getBoundingClientRect();
        if (r.width < 2) continue;
        const label = parseFloat(img.getAttribute('data-afs-label-px'));
        if (!label) { problems.push({kind: 'unmeasured figure', where: state, what: img.getAttribute('alt') || ''}); continue; }
        const px = label * (r.width / scale) / (img.naturalWidth || 1);
        record.minLabel = Math.min(record.minLabel, px);
        if (px < minLabel - 0.01) problems.push({kind: 'small label', where: state, what: 'figure ' + (img.getAttribute('alt') || ''), px});
        if (r.bottom > srect.bottom + 1 || r.right > srect.right + 1) problems.push({kind: 'graph outside', where: state});
      }
      // a torch/afs pair in two columns: no line of its code or output may wrap
      for (const pre of slide.querySelectorAll('.afs-columns pre')) {
        if (!visible(pre)) continue;
        const style = getComputedStyle(pre), line = parseFloat(style.lineHeight);
        const lines = pre.textContent.replace(/\n$/, '').split('\n').length;
        const inner = pre.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
        if (inner > lines * line + line / 2) problems.push({kind: 'wrapped column', where: state, what: where(pre), lines, px: inner});
      }
    }
    perSlide.push(record);
    record.columns = slide.querySelectorAll('.afs-columns').length;
  }
  return {problems, slides: perSlide};
}
