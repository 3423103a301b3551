"""The Markdown summary shows an endpoint's name as written, whatever it holds (issue 19): a name
with an HTML tag, backticks, `*` or a link is rendered as text, checked with an independent
CommonMark renderer (markdown-it-py, GitHub's tables enabled)."""

from __future__ import annotations

import dataclasses

from markdown_it import MarkdownIt

from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.reports.markdown import render_markdown
from tests.report_factory import _report, run_record

HOSTILE = "<img src=x onerror=alert(1)> `tick` *bold* __strong__ [link](http://x) ~~gone~~"


def _renamed(record: Record) -> Record:
    return dataclasses.replace(
        record, tasks=tuple(dataclasses.replace(task, task_name=HOSTILE) for task in record.tasks[:1])
    )


def test_a_hostile_endpoint_name_is_shown_as_text() -> None:
    history = [_renamed(run_record(index, 10)) for index in range(6)]
    current = _renamed(run_record(6, 80))
    rules = read_threshold_file(default_thresholds_path())
    comparison = compare(current, history[-1], rules, Evidence(current, (history[-1],), history[::-1]))
    assert any(HOSTILE in row.scope for row in comparison.stats)
    suite = dataclasses.replace(
        _report(HOSTILE, current, history, comparison), reasons=(f"{HOSTILE} regressed",)
    )
    markdown = render_markdown([suite], report_path=None)

    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<img" not in html
    for tag in ("<em>", "<strong>", "<a ", "<s>", "<del>"):
        assert tag not in html, tag
    # The name itself is still there, readable: in the summary table, the folded table's rows and
    # the HTML block's <summary> (a pair of backticks in a name shows as code: literal either way).
    assert (
        html.count("&lt;img src=x onerror=alert(1)&gt; <code>tick</code> *bold* __strong__ [link](http://x)")
        >= 3
    )
    assert (
        "<summary>&lt;img src=x onerror=alert(1)&gt; `tick` *bold* __strong__ [link](http://x) ~~gone~~:"
        in html
    )
