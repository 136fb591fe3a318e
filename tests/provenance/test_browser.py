"""The lineage picture in a real browser (Debian chromium through Playwright)."""

import pytest

pytestmark = [pytest.mark.browser]


def test_the_picture_renders_nodes_and_a_click_opens_one(transactional_db, graph, page):
    g = graph
    page.goto(f"/provenance/models/{g.m2.pk}/")
    section = page.locator("[data-lineage]")
    page.wait_for_function("document.querySelector('[data-lineage]').dataset.state === 'ready'")
    # depth 4 upstream and downstream of m2 (see the lineage tests for the full answer)
    ids = page.evaluate("window.lineageGraphs[0].nodes().map(n => n.id())")
    assert set(ids) >= {
        g.key("m2"),
        g.key("r2"),
        g.key("r3"),
        g.key("c4"),
        g.key("a5"),
        g.key("a3"),
    }
    assert section.get_attribute("data-node-count") == str(len(ids))
    assert page.locator("[data-lineage-list] li").count() == len(ids)
    # The canvas drew them: click where cytoscape put run r2 and land on its page.
    box = page.locator("[data-lineage-canvas]").bounding_box()
    position = page.evaluate(
        f"window.lineageGraphs[0].getElementById('{g.key('r2')}').renderedPosition()"
    )
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])
    page.wait_for_url(f"**/provenance/runs/{g.r2.pk}/")
    assert page.locator("h1").inner_text().startswith(f"Training run {g.r2.pk} of m2")


def test_the_depth_control_redraws(transactional_db, graph, page):
    g = graph
    page.goto(f"/provenance/models/{g.m2.pk}/")
    page.wait_for_function("document.querySelector('[data-lineage]').dataset.state === 'ready'")
    before = page.evaluate("window.lineageGraphs[0].nodes().length")
    page.locator("[data-lineage-depth]").fill("1")
    page.wait_for_function(
        "window.lineageGraphs[0].nodes().length === 4 && "
        "document.querySelector('[data-lineage]').dataset.state === 'ready'"
    )
    assert before > 4  # m2, r2, r3, bob at depth 1
