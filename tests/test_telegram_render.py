"""Telegram pieces without a server: HTML rendering, error mapping, pacing, config."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.alerts import Alert
from bot.config import ConfigError, load_config
from bot.transports.base import ChatGone, ChatMoved, FloodWait, RetryLater, Undeliverable
from bot.transports.telegram import MAX_MESSAGE, ChatPacer, chat_id_of, map_error, render_alert, render_html, shorten
from handlers.base import Reply
from tests.telegram_support import TZ, visible

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
ALLOWED_TAGS = re.compile(r"</?(b|i|code|a)( href=\"[^\"<>]*\")?>")


def _alert(**kw) -> Alert:
    base = dict(
        chat="telegram:5", thread_id=None, language="ar", topic="dprk-russia", topic_name="كوريا الشمالية وروسيا",
        story_id=1, headline="بوتين <يشيد> & \"يحذر\"", summary="الجملة الأولى. الجملة الثانية <b>.",
        url="https://news.example/a?x=1&y=<2>", source="وكالة <س>",
        published=datetime(2025, 8, 13, 9, 0, tzinfo=timezone.utc), matched=("بوتين",),
    )
    base.update(kw)
    return Alert(**base)


def _tags_balanced(html_text: str) -> bool:
    stack = []
    for m in re.finditer(r"<(/?)(\w+)[^>]*>", html_text):
        if m.group(1):
            if not stack or stack.pop() != m.group(2):
                return False
        else:
            stack.append(m.group(2))
    return not stack


def test_alert_is_escaped_and_complete():
    html_text = render_alert(_alert(), TZ)
    assert "<i>#dprk_russia · كوريا الشمالية وروسيا</i>" in html_text
    # The headline is the link (issue 12): both escaped, no separate "الرابط" line.
    assert '<a href="https://news.example/a?x=1&amp;y=&lt;2&gt;">بوتين &lt;يشيد&gt; &amp; "يحذر"</a>' in html_text
    assert "الجملة الثانية &lt;b&gt;." in html_text
    assert "<b>وكالة &lt;س&gt;</b> · 2025-08-13 12:00 +03\n" in html_text  # the configured zone
    assert "الرابط" not in html_text and "نشرته" not in html_text  # one outlet: no count
    leftover = ALLOWED_TAGS.sub("", html_text)
    assert "<" not in leftover and ">" not in leftover
    assert visible(html_text).startswith("#dprk_russia")


def test_alert_labels_follow_the_chat_language_and_paths_are_not_links():
    html_text = render_alert(_alert(language="en", url="/srv/seeds/000.txt"), TZ)
    assert "<code>/srv/seeds/000.txt</code>" in html_text and "Link" not in html_text
    assert "<a " not in html_text
    assert "reported by 3 sources" in render_alert(_alert(language="en", source_count=3), TZ)


def test_long_alert_is_cut_at_a_sentence_never_inside_a_tag():
    sentence = "هذه جملة طويلة عن الحرب & السلام <تنتهي> هنا. "
    alert = _alert(summary=sentence * 300)
    html_text = render_alert(alert, TZ)
    assert len(html_text.encode("utf-16-le")) // 2 <= MAX_MESSAGE
    assert _tags_balanced(html_text)
    assert '">بوتين &lt;يشيد&gt;' in html_text  # the linked headline survives; only the summary shrank
    summary = visible(html_text).split("\n\n")[1]
    assert summary.endswith("هنا.…")
    assert "&amp;" in html_text and not re.search(r"&[a-z]*$", html_text.split("…")[0])


def test_long_headline_without_sentences_is_cut_at_a_word():
    alert = _alert(headline="كلمة " * 2000, summary="قصير.")
    html_text = render_alert(alert, TZ)
    assert len(html_text) <= MAX_MESSAGE and _tags_balanced(html_text)
    assert "كلمة…</a>" in html_text


def test_utf16_length_is_what_counts():
    reply = Reply().add("😀" * 3000)  # 2 UTF-16 units each
    out = render_html(reply)
    assert len(out.encode("utf-16-le")) // 2 <= MAX_MESSAGE


def test_shorten():
    assert shorten("أ. ب. ج.", 100) == "أ. ب. ج."
    assert shorten("جملة أولى. جملة ثانية طويلة جدا", 20) == "جملة أولى.…"
    assert shorten("كلمات بلا نقطة كثيرة جدا", 12).endswith("…")


@pytest.mark.parametrize(
    "error, kind, check",
    [
        (lambda: RetryAfter(7), FloodWait, lambda e: e.retry_after == 7),
        (TimedOut, RetryLater, lambda e: not isinstance(e, FloodWait)),
        (lambda: NetworkError("Internal Server Error"), RetryLater, lambda e: True),
        (lambda: Forbidden("Forbidden: bot was blocked by the user"), ChatGone, lambda e: "blocked" in str(e)),
        (lambda: ChatMigrated(-100123), ChatMoved, lambda e: e.new_address == "telegram:-100123"),
        (lambda: BadRequest("Bad Request: message is too long"), Undeliverable, lambda e: True),
        (lambda: BadRequest("Bad Request: chat not found"), ChatGone, lambda e: True),
    ],
)
def test_bot_api_errors_map_to_outbox_exceptions(error, kind, check):
    mapped = map_error(error())
    assert type(mapped) is kind and check(mapped)


def test_chat_ids():
    assert chat_id_of("telegram:-1001") == -1001
    with pytest.raises(Undeliverable):
        chat_id_of("discord:5")


def test_private_chats_get_one_message_a_second_others_are_not_slowed():
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = ChatPacer(1.0, clock=lambda: now[0], sleep=sleep)

    async def burst():
        for _ in range(3):
            await pacer.wait(5)
        await pacer.wait(6)

    asyncio.run(burst())
    assert slept == [1.0, 2.0]
    now[0] += 10
    asyncio.run(pacer.wait(5))
    assert slept == [1.0, 2.0]


def _config(tmp_path, text, env=None):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env=env or {})


def test_telegram_config_defaults_env_and_errors(tmp_path):
    tg = _config(tmp_path, "").telegram
    assert tg.base_url == "https://api.telegram.org/bot" and tg.backlog == 3 and tg.mode == "polling"
    tg = _config(tmp_path, '[telegram]\nbase_url = "http://127.0.0.1:8081"\nowners = [1, "2"]\nbacklog = 0\n').telegram
    assert tg.base_url == "http://127.0.0.1:8081/bot" and tg.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert tg.owners == {1, 2} and tg.backlog == 0
    tg = _config(tmp_path, "", {"RAQIB_TELEGRAM_BASE_URL": "http://localhost:9/bot/", "RAQIB_TELEGRAM_OWNERS": "5, 6"}).telegram
    assert tg.base_url == "http://localhost:9/bot" and tg.owners == {5, 6}
    for text, key in [
        ('[telegram]\nbase_url = "ftp://x"\n', "telegram.base_url"),
        ('[telegram]\nmode = "push"\n', "telegram.mode"),
        ('[telegram]\nowners = ["alice"]\n', "telegram.owners"),
        ('[telegram]\nmode = "webhook"\n', "telegram.webhook_url"),
        ('[telegram]\nwebhook_secret = "s"\n', "telegram.webhook_secret"),
        ('[telegram]\ncommand_rate = 0\n', "telegram.command_rate"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(key)):
            _config(tmp_path, text)
    with pytest.raises(ConfigError, match="RAQIB_TELEGRAM_WEBHOOK_SECRET"):
        _config(tmp_path, '[telegram]\nmode = "webhook"\nwebhook_url = "https://x.example/hook"\n')
    cfg = _config(tmp_path, '[telegram]\nmode = "webhook"\nwebhook_url = "https://x.example/hook"\n',
                  {"RAQIB_TELEGRAM_WEBHOOK_SECRET": "s3cret_value"})
    assert cfg.telegram.webhook_secret == "s3cret_value" and "s3cret_value" not in repr(cfg)


def test_the_token_is_redacted_from_log_messages_and_tracebacks():
    import io
    import logging

    from telegram.error import InvalidToken

    from bot.transports.telegram import _RedactToken

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RedactToken("42:secret-token"))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    try:
        logger.warning("calling https://api.telegram.org/bot%s/getMe", "42:secret-token")
        try:
            raise InvalidToken("The token `42:secret-token` was rejected by the server.")
        except InvalidToken:
            logger.exception("start failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "secret-token" not in out
    assert "bot<token>/getMe" in out and "InvalidToken: The token `<token>`" in out


def test_edit_error_words_are_the_bot_apis():
    from bot.transports.telegram import _EDIT_GONE

    # What the Bot API answers editMessageText for a message that cannot be re-drawn (the fake
    # answers the first; the others are Telegram's own wording for old or foreign messages).
    for answer in ("Bad Request: message to edit not found", "Bad Request: message can't be edited",
                   "Bad Request: MESSAGE_ID_INVALID"):
        assert any(word in answer.lower() for word in _EDIT_GONE)
    assert not any(word in "bad request: message is not modified" for word in _EDIT_GONE)
