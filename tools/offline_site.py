"""Sphinx extension (named in _config.yml): a built book that needs no network.

- Progress bars: each stored widget view (tqdm's bar, an HBox of two HTML labels and
  a progress bar) is rendered at build time into plain HTML from the final state the
  notebook stores, so a page shows the finished bar with no script at all (no widget
  manager, no require.js, nothing to fetch). A widget type it does not know stops the
  build with a warning naming it.
- Vendored scripts: Jupyter Book adds every .js file under _static/ to every page; the
  files in _static/vendor/ are loaded by their owners instead (MathJax through
  `mathjax_path`), so they are taken out of that list.
- Outputs that link a style sheet from a CDN: matplotlib's animation player links
  Font Awesome 4 from a CDN for its button icons; the theme already ships Font Awesome
  (its script draws `fa fa-play` and the like), so the link is dropped.
- sphinx-thebe declares its configuration script twice on a page (a JavaScript
  error, "THEBE_JS_URL has already been declared"): duplicate scripts are removed.
"""
import html
import json
import re

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
VIEW_SCRIPT = re.compile(rf'^<script type="{re.escape(VIEW)}">(.*)</script>$', re.S)

# external resources that stored outputs link, and what replaces them ("" = dropped)
EXTERNAL_IN_OUTPUTS = {
    '<link rel="stylesheet"\nhref="https://maxcdn.bootstrapcdn.com/font-awesome/'
    '4.4.0/css/font-awesome.min.css">': "",
}


class WidgetError(ValueError):
    pass


def _css(layout):
    """A LayoutModel's set properties as inline CSS (what ipywidgets' LayoutView does)."""
    return "".join(f"{k.replace('_', '-')}: {v}; " for k, v in layout.items()
                   if not k.startswith("_") and v not in (None, "")).strip()


def render_widget(model_id, state):
    """HTML for the widget `model_id` in a notebook's stored widget `state` (a dict)."""
    model_id = model_id.removeprefix("IPY_MODEL_")
    if model_id not in state:
        raise WidgetError(f"widget {model_id} is not in the notebook's stored state")
    name, s = state[model_id]["model_name"], state[model_id]["state"]
    layout = state.get(str(s.get("layout", "")).removeprefix("IPY_MODEL_"), {})
    style = _css(layout.get("state", {}))
    attr = f' style="{html.escape(style)}"' if style else ""
    if name in ("HBoxModel", "VBoxModel"):
        kind = "hbox" if name == "HBoxModel" else "vbox"
        inner = "".join(render_widget(c, state) for c in s["children"])
        return f'<div class="nbwidget nbwidget-{kind}"{attr}>{inner}</div>'
    if name in ("HTMLModel", "LabelModel"):
        value = s["value"] if name == "HTMLModel" else html.escape(s["value"])
        return f'<div class="nbwidget nbwidget-html"{attr}>{value}</div>'
    if name in ("FloatProgressModel", "IntProgressModel"):
        lo, hi, value = s["min"], s["max"], s["value"]
        frac = min(max((value - lo) / (hi - lo), 0.0), 1.0) if hi > lo else 1.0
        bar_style = s.get("bar_style") or "default"
        colour = state.get(str(s.get("style", "")).removeprefix("IPY_MODEL_"), {})
        colour = colour.get("state", {}).get("bar_color")
        fill = f"width: {100 * frac:.1f}%;" + (f" background: {colour};" if colour else "")
        label = (f'<span class="nbwidget-label">{html.escape(s["description"])}</span>'
                 if s.get("description") else "")
        return (f'{label}<div class="nbwidget nbwidget-progress nbwidget-{bar_style}"'
                f' role="progressbar" aria-valuemin="{lo}" aria-valuemax="{hi}"'
                f' aria-valuenow="{value}"{attr}>'
                f'<div class="nbwidget-bar" style="{html.escape(fill)}"></div></div>')
    raise WidgetError(f"cannot render a {name} widget without scripts; "
                      "tools/offline_site.py renders boxes, HTML and progress bars")


def notebook_widget_state(app, docname):
    path = app.env.doc2path(docname)
    if str(path).endswith(".ipynb"):
        meta = json.loads(open(path, encoding="utf-8").read()).get("metadata", {})
        return meta.get("widgets", {}).get(STATE, {}).get("state", {})
    return {}


def render_widget_views(app, doctree, docname):
    views = [n for n in doctree.findall(nodes.raw)
             if n.get("format") == "html" and VIEW_SCRIPT.match(n.astext())]
    if not views:
        return
    state = notebook_widget_state(app, docname)
    for node in views:
        model_id = json.loads(VIEW_SCRIPT.match(node.astext()).group(1))["model_id"]
        try:
            text = render_widget(model_id, state)
        except WidgetError as e:
            logger.warning(f"{docname}: {e}", location=node)
            continue
        node.replace_self(nodes.raw("", text, format="html"))


def drop_vendored_js(app, config):
    config.html_js_files = [f for f in config.html_js_files
                            if not str(f[0] if isinstance(f, tuple) else f)
                            .startswith("vendor/")]


def clean_page(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is not None:
        # every view is rendered: the widget state and its loaders are not needed
        kept = {}
        for js in scripts:
            attrs = getattr(js, "attributes", {})
            key = (str(getattr(js, "filename", js) or ""), tuple(sorted(attrs.items())))
            if attrs.get("type") != STATE:
                kept.setdefault(key, js)
        scripts[:] = kept.values()
    body = context.get("body", "")
    for old, new in EXTERNAL_IN_OUTPUTS.items():
        body = body.replace(old, new)
    context["body"] = body


def setup(app):
    app.connect("config-inited", drop_vendored_js)
    app.connect("doctree-resolved", render_widget_views)
    app.connect("html-page-context", clean_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
