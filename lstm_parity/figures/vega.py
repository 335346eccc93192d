"""The plots as DVC defines them, drawn outside DVC: one definition of each plot (dvc.yaml's top-level
`plots:`, with the Vega-Lite templates in .dvc/plots/), filled with its data as `dvc plots show` fills it
and drawn as PNG by vl-convert, without a browser. So the PNGs in the docs are the charts that
`dvc plots show/diff`, VS Code and Studio draw; and the page template that lets `dvc plots show` work
offline carries Vega's scripts from the same package.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from lstm_parity.errors import DataError
from lstm_parity.files import atomic_path
from lstm_parity.pipeline import declared_plots

TEMPLATES = Path(".dvc") / "plots"  # where DVC, VS Code and Studio look for a template by its name
VEGA_LITE = "5.21"  # the Vega-Lite version vl-convert draws and bundles for the pages
PNG_SCALE = 2  # pixels per Vega pixel: sharp on high-density screens
REVISION = "workspace"  # as `dvc plots show` names the workspace's data


def read_plot_data(path: Path) -> Any:
    """A plot's data file, parsed as DVC parses it: JSON as is, CSV and TSV as rows of strings."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"{path}: cannot read the plot's data: {error.strerror}") from None
    if Path(path).suffix in (".csv", ".tsv"):
        return list(csv.DictReader(io.StringIO(text), delimiter="\t" if Path(path).suffix == ".tsv" else ","))
    try:
        return json.loads(text)
    except ValueError as error:
        raise DataError(f"{path}: not a readable JSON file ({error})") from None


def filled_spec(plot_id: str, root: Path = Path(".")) -> dict:
    """The Vega-Lite spec of one of dvc.yaml's plots, filled with the workspace's data by DVC's own
    converter and renderer: what `dvc plots show --show-vega` prints for it."""
    from dvc.render.converter.vega import VegaConverter  # DVC's, so the datapoints are shaped as DVC shapes them
    from dvc_render import VegaRenderer

    definitions = declared_plots(root)
    if plot_id not in definitions:
        raise DataError(f"{Path(root) / 'dvc.yaml'}: no plot {plot_id!r}; its plots are {', '.join(definitions)}")
    properties = dict(definitions[plot_id])
    files = {name: read_plot_data(Path(root) / name) for name in properties["y"]}
    datapoints, properties = VegaConverter(plot_id, files, properties).flat_datapoints(REVISION)
    properties.setdefault("title", plot_id)
    properties["revs_with_datapoints"] = [REVISION]
    renderer = VegaRenderer(datapoints, plot_id, template_dir=str(Path(root) / TEMPLATES), **properties)
    return renderer.get_filled_template()


def _isolate_fonts() -> None:
    """Let vl-convert see only the fonts it bundles: with the machine's own (a distribution's Liberation
    fonts, say) the same chart comes out in other bytes from machine to machine. Its font database
    reads the fontconfig file named by FONTCONFIG_FILE; one listing an empty folder leaves the bundled
    fonts alone. Must run before vl-convert's first drawing in the process."""
    folder = Path(tempfile.mkdtemp(prefix="lstm-parity-fonts-"))
    (folder / "none").mkdir()
    config = f'<?xml version="1.0"?>\n<fontconfig><dir>{folder / "none"}</dir></fontconfig>\n'
    (folder / "fonts.conf").write_text(config)
    os.environ["FONTCONFIG_FILE"] = str(folder / "fonts.conf")


def draw_png(spec: dict, path: Path) -> None:
    """A filled spec as a PNG, atomically; no date or text chunk, so the same spec gives the same bytes."""
    if "FONTCONFIG_FILE" not in os.environ:
        _isolate_fonts()
    import vl_convert

    png = vl_convert.vegalite_to_png(spec, vl_version=VEGA_LITE, scale=PNG_SCALE, format_locale="en-US",
                                     time_format_locale="en-US")
    with atomic_path(path) as tmp:
        tmp.write_bytes(png)


PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    {refresh_tag}
    <!-- Scripts from this page only: inline ('unsafe-eval' because Vega compiles its expressions). -->
    <meta http-equiv="Content-Security-Policy" content="script-src 'unsafe-inline' 'unsafe-eval'">
    <title>DVC Plot</title>
    <!-- Vega __VEGA__, Vega-Lite __VEGA_LITE__ and vega-embed __EMBED__, as vl-convert-python __VLC__
         bundles them; written by `python -m stages.plots_page`, do not edit. -->
    <script type="text/javascript">
(function () {
__BUNDLE__
})();
    </script>
    <style>
        table {
            border-spacing: 15px;
        }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""
# What DVC replaces in a page template (plain text replacement): {plot_divs} must be there, and the
# bundle must hold none of them. {scripts}, where DVC would put its <script src="https://cdn..."> tags,
# is left out on purpose.
PAGE_PLACEHOLDERS = ("{plot_divs}", "{scripts}", "{refresh_tag}")


def plots_page() -> str:
    """The page template for `dvc plots show/diff` (config plots.html_template): DVC's page layout with
    Vega, Vega-Lite and vega-embed inline, from the installed vl-convert-python, so the page it writes
    loads no script from the network."""
    from importlib.metadata import version

    import vl_convert

    bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE)
    for marker in (*PAGE_PLACEHOLDERS, "</script", "<!--"):
        if marker in bundle:
            raise DataError(f"vl-convert-python {version('vl-convert-python')}: its JavaScript bundle holds "
                            f"{marker!r} and cannot be inlined in a page template")
    page = (PAGE.replace("__VEGA__", vl_convert.get_vega_version()).replace("__VEGA_LITE__", VEGA_LITE)
            .replace("__EMBED__", vl_convert.get_vega_embed_version())
            .replace("__VLC__", version("vl-convert-python")))
    return page.replace("__BUNDLE__", bundle.rstrip("\n"))  # last, so nothing in it is taken for a marker
