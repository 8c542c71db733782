"""Chat messages in short form: one line per story (title, source, time, link), plain text that
reads the same in Telegram, Slack, Matrix or Teams."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.digest.content import Item

SECTION_TITLES = {"core": "Hà Nội – Russia", "national": "Also relevant (Vietnam – Russia)"}


def link(item: Item, web_base: str | None) -> str:
    """The story's page on newsmon's web page when ``[web] base_url`` is set, else the article."""
    return f"{web_base}/articles/{item.article_id}" if web_base else item.url


def story_lines(item: Item, web_base: str | None) -> str:
    meta = ", ".join(filter(None, (item.source_label, item.when)))
    more = f", also in {len(item.also_in)} more" if item.also_in else ""
    return f"• {item.title} ({meta}{more})\n  {link(item, web_base)}"


def stories_body(items: Sequence[Item], web_base: str | None, *, sections: bool = True) -> str:
    """Items one after another, grouped under their section's heading when there are two sections."""
    present = list(dict.fromkeys(i.section for i in items))
    blocks = []
    for section in present:
        lines = [story_lines(i, web_base) for i in items if i.section == section]
        if sections and len(present) > 1:
            lines.insert(0, SECTION_TITLES.get(section, section) + ":")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def instant_message(topic: str, items: Sequence[Item], web_base: str | None) -> tuple[str, str]:
    """(title, body) of one instant message: one story, or several folded into one under the cap."""
    if len(items) == 1:
        return f"{topic}: {items[0].title}", stories_body(items, web_base)
    return f"{topic}: {len(items)} new stories", stories_body(items, web_base)


def digest_message(
    subject: str, items: Sequence[Item], overflow: int, web_base: str | None
) -> tuple[str, str]:
    """(title, body) of a digest in short form; ``overflow`` stories are counted, not listed."""
    body = stories_body(items, web_base)
    if overflow:
        body += f"\n\n… and {overflow} more in the email digest" + (f": {web_base}/" if web_base else ".")
    return subject, body
