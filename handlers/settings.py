"""/timezone, /quiet, /digest and /settings (issue 12): how and when a chat's alerts arrive.

Each is a setting anyone in the chat may read (the command sent bare) and only those who may
change the chat's subscriptions may change (its admins; in a private chat its user): the router
checks that from the registry before a handler runs. Times are typed as people type them,
Western or Arabic-Indic digits (٢٣:٠٠-٠٧:٠٠), and read in the chat's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy.orm import Session

from bot.text.arabic import normalize
from handlers import subscribe as sub_cmd
from handlers import topicref
from handlers.base import Button, Caller, Reply, text
from handlers.format import slug_list, zone_named
from handlers.registry import Tier
from handlers.services import Services
from handlers.texts import t
from storage import chat_settings as store
from storage import digests as digest_store
from storage import watchlists as watchlist_store
from storage.chat_settings import ChatSettings, SubscriptionSettings

# --- parsing ------------------------------------------------------------------------------------

# Arabic-Indic (٠–٩) and Eastern Arabic-Indic (۰–۹, Persian/Urdu keyboards) digits, the Arabic
# comma and the various dashes a phone keyboard offers, read as their ASCII counterparts.
_FOLD = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹–—−‒", "01234567890123456789----")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.٫](\d{2}))?$")
_WINDOW = re.compile(r"^\s*(\S+?)\s*(?:-|\s+(?:to|till|until|إلى|الى|حتى)\s+)\s*(\S+)\s*$", re.IGNORECASE)
_OFFSET = re.compile(r"^(?:utc|gmt|ت\.ع\.م)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
# Invisible direction marks an RTL keyboard may slip between the digits.
_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


class ParseError(ValueError):
    """A setting the user typed that cannot be read; ``key`` names the reply that explains it."""

    def __init__(self, key: str, value: str = "") -> None:
        super().__init__(f"{key}: {value}")
        self.key, self.value = key, value


def fold(value: str) -> str:
    """Western digits, ASCII dashes, no direction marks, trimmed."""
    return value.translate(_MARKS).translate(_FOLD).strip()


def parse_clock(value: str) -> int:
    """``23:00``, ``7``, ``07.30``, ``٢٣:٠٠`` → minutes after midnight."""
    m = _CLOCK.match(fold(value))
    if m is None:
        raise ParseError("bad_time", value)
    hours, minutes = int(m.group(1)), int(m.group(2) or 0)
    if hours > 23 or minutes > 59:
        raise ParseError("bad_time", value)
    return hours * 60 + minutes


def parse_window(value: str) -> tuple[int, int]:
    """``23:00-07:00`` (it may wrap midnight) → (start, end) in minutes after midnight."""
    m = _WINDOW.match(fold(value))
    if m is None:
        raise ParseError("quiet_bad", value)
    try:
        start, end = parse_clock(m.group(1)), parse_clock(m.group(2))
    except ParseError:
        raise ParseError("quiet_bad", value) from None
    if start == end:
        raise ParseError("quiet_empty", value)
    return start, end


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _keyed(table: dict[str, str]) -> dict[str, str]:
    """A table of typed words by their matching key: hamza forms, diacritics, case folded."""
    return {normalize(k): v for k, v in table.items()}


def word(table: dict[str, str], typed: str) -> str | None:
    """What a typed word means in ``table`` (keyed by ``_keyed``), or None."""
    return table.get(normalize(fold(typed))) if typed.strip() else None


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Every IANA name the system knows, by its lower-case spelling."""
    return {name.lower(): name for name in available_timezones()}


# The Arab capitals and large cities, by their Arabic names: what a user here is likely to type.
# (عمّان is Amman; the Sultanate is «مسقط» here, so «عمان» is left out as ambiguous; so is طرابلس.)
AR_CITIES = _keyed({
    "الرياض": "Asia/Riyadh", "مكة": "Asia/Riyadh", "جدة": "Asia/Riyadh", "السعودية": "Asia/Riyadh",
    "القاهرة": "Africa/Cairo", "مصر": "Africa/Cairo", "دبي": "Asia/Dubai", "أبوظبي": "Asia/Dubai",
    "الإمارات": "Asia/Dubai", "الكويت": "Asia/Kuwait", "الدوحة": "Asia/Qatar", "قطر": "Asia/Qatar",
    "المنامة": "Asia/Bahrain", "البحرين": "Asia/Bahrain", "مسقط": "Asia/Muscat", "بغداد": "Asia/Baghdad",
    "العراق": "Asia/Baghdad", "دمشق": "Asia/Damascus", "سوريا": "Asia/Damascus", "بيروت": "Asia/Beirut",
    "لبنان": "Asia/Beirut", "عمّان": "Asia/Amman", "الأردن": "Asia/Amman", "القدس": "Asia/Jerusalem",
    "غزة": "Asia/Gaza", "الخرطوم": "Africa/Khartoum", "السودان": "Africa/Khartoum", "تونس": "Africa/Tunis",
    "الجزائر": "Africa/Algiers", "الرباط": "Africa/Casablanca", "الدار البيضاء": "Africa/Casablanca",
    "المغرب": "Africa/Casablanca", "صنعاء": "Asia/Aden", "عدن": "Asia/Aden", "اليمن": "Asia/Aden",
    "نواكشوط": "Africa/Nouakchott", "موريتانيا": "Africa/Nouakchott", "مقديشو": "Africa/Mogadishu",
    "جيبوتي": "Africa/Djibouti", "ليبيا": "Africa/Tripoli", "إسطنبول": "Europe/Istanbul",
    "طهران": "Asia/Tehran", "لندن": "Europe/London", "باريس": "Europe/Paris", "برلين": "Europe/Berlin",
    "موسكو": "Europe/Moscow", "نيويورك": "America/New_York",
})
# The cities as written (AR_CITIES is keyed by the matching form), for autocomplete labels.
_CITY_NAMES = {
    "الرياض": "Asia/Riyadh", "القاهرة": "Africa/Cairo", "دبي": "Asia/Dubai", "الكويت": "Asia/Kuwait",
    "الدوحة": "Asia/Qatar", "المنامة": "Asia/Bahrain", "مسقط": "Asia/Muscat", "بغداد": "Asia/Baghdad",
    "دمشق": "Asia/Damascus", "بيروت": "Asia/Beirut", "عمّان": "Asia/Amman", "القدس": "Asia/Jerusalem",
    "غزة": "Asia/Gaza", "الخرطوم": "Africa/Khartoum", "تونس": "Africa/Tunis", "الجزائر": "Africa/Algiers",
    "الرباط": "Africa/Casablanca", "صنعاء": "Asia/Aden", "نواكشوط": "Africa/Nouakchott",
    "مقديشو": "Africa/Mogadishu", "جيبوتي": "Africa/Djibouti", "ليبيا": "Africa/Tripoli",
    "إسطنبول": "Europe/Istanbul", "طهران": "Asia/Tehran", "لندن": "Europe/London", "باريس": "Europe/Paris",
    "برلين": "Europe/Berlin", "موسكو": "Europe/Moscow", "نيويورك": "America/New_York",
}
RESET_WORDS = _keyed(dict.fromkeys(["default", "reset", "off", "افتراضي", "الافتراضية", "إلغاء"], "reset"))


def parse_zone(value: str) -> str | None:
    """An IANA zone name (``asia/riyadh`` → ``Asia/Riyadh``), an offset (``UTC+3`` → the IANA
    ``Etc/GMT-3``, whose sign POSIX inverts), or an Arabic city name; None resets to the
    configured zone. A half-hour offset has no IANA name of its own: the user is told to name
    the city."""
    raw = fold(value)
    if word(RESET_WORDS, raw):
        return None
    if raw.lower() in ("utc", "gmt", "z"):
        return "UTC"
    spaced = raw.replace(" ", "_")
    if spaced.lower() in _zones():
        return _zones()[spaced.lower()]
    if word(AR_CITIES, raw):
        return word(AR_CITIES, raw)
    m = _OFFSET.match(raw)
    if m is not None:
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if minutes:
            raise ParseError("tz_half", value)
        if hours == 0:
            return "UTC"
        if (sign == "+" and hours > 14) or (sign == "-" and hours > 12):
            raise ParseError("tz_bad", value)
        return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"  # UTC+3 is Etc/GMT-3
    raise ParseError("tz_bad", value)


def _offset_text(offset: timedelta | None) -> str:
    total = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def zone_of(settings: ChatSettings, default: tzinfo) -> tzinfo:
    """The chat's zone; the configured one when it chose none (or its name is no longer known)."""
    return zone_named(settings.timezone, default)


async def zone_choices(services: Services, caller: Caller, current: str, limit: int = 25) -> list[tuple[str, str]]:
    """(label, IANA name) of the zones that fit what is typed, for a platform's autocomplete: what
    ``parse_zone`` reads it as first (an offset, a city), then the Arab cities by their Arabic
    names, then every IANA name containing it; typed nothing, the Arab capitals and the configured
    zone (value ``default``). Labels carry the offset of the moment."""
    now = services.clock()
    typed = fold(current)
    wanted, needle = normalize(typed), typed.lower().replace(" ", "_")
    found: dict[str, str] = {}  # value → label, in the order offered

    def offer(value: str, city: str | None = None) -> None:
        if value not in found and len(found) < limit:
            label = zone_label(ZoneInfo(value), now)
            found[value] = f"{city} — {label}" if city else label

    try:
        parsed = parse_zone(typed) if typed else None
    except ParseError:
        parsed = None
    if parsed is not None:
        offer(parsed, typed if word(AR_CITIES, typed) else None)
    if not typed:
        found["default"] = t(caller.language, "choice_zone_default", zone=zone_label(services.timezone, now))
    for city, name in _CITY_NAMES.items():
        if not typed or wanted in normalize(city):
            offer(name, city)
    if typed:
        for name in sorted(_zones().values()):
            if needle in name.lower():
                offer(name)
    return [(label, value) for value, label in found.items()][:limit]


def zone_label(zone: tzinfo, now: datetime) -> str:
    """``Asia/Riyadh (UTC+3)``; an offset zone as ``UTC+3`` only."""
    name = getattr(zone, "key", None) or str(zone)
    offset = _offset_text(now.astimezone(zone).utcoffset())
    if name.startswith("Etc/") or name.upper() in ("UTC", "GMT") or name == offset:
        return offset if offset != "UTC+0" else "UTC"
    return f"{name} ({offset})"


# Words for the modes, English and Arabic, as typed.
QUIET_WORDS = _keyed({"silent": "silent", "silently": "silent", "صامت": "silent", "صامتة": "silent", "بصمت": "silent",
               "hold": "hold", "held": "hold", "تأجيل": "hold", "أجل": "hold", "احتجاز": "hold", "مؤجل": "hold"})
OFF_WORDS = _keyed(dict.fromkeys(["off", "none", "stop", "إيقاف", "إلغاء", "لا"], "off"))
MODE_WORDS = _keyed({"instant": "instant", "now": "instant", "off": "instant", "فوري": "instant", "فورا": "instant",
              "فورًا": "instant", "hourly": "hourly", "hour": "hourly", "ساعي": "hourly", "ساعة": "hourly",
              "كل_ساعة": "hourly", "daily": "daily", "day": "daily", "يومي": "daily", "يوميا": "daily",
              "يوميًا": "daily"})
SUMMARY_WORDS = _keyed({"short": "short", "قصير": "short", "قصيرة": "short", "normal": "normal", "عادي": "normal",
                 "عادية": "normal", "long": "normal"})
REPORT_WORDS = _keyed({"story": "story", "stories": "story", "قصة": "story", "every": "every", "all": "every",
                "each": "every", "كل": "every", "الكل": "every"})


@dataclass(frozen=True)
class DigestChoice:
    mode: str
    at: int | None = None


def parse_digest(words: list[str]) -> DigestChoice:
    """``hourly`` | ``daily [HH:MM]`` | ``instant``; a bare time means daily at it."""
    if not words:
        raise ParseError("digest_bad_mode", "")
    first = fold(words[0]).lower()
    if first == "كل" and len(words) > 1 and normalize(fold(words[1])) == normalize("ساعة"):  # «كل ساعة»
        first, words = "hourly", ["hourly", *words[2:]]
    mode = word(MODE_WORDS, first)
    if mode is None:
        if len(words) == 1:
            try:
                return DigestChoice("daily", parse_clock(words[0]))
            except ParseError:
                pass
        raise ParseError("digest_bad_mode", words[0])
    rest = [w for w in words[1:] if normalize(fold(w)) not in ("at", normalize("الساعة"), "في")]
    if not rest:
        return DigestChoice(mode)
    if mode != "daily" or len(rest) > 1:
        raise ParseError("digest_time_only_daily", " ".join(rest))
    return DigestChoice(mode, parse_clock(rest[0]))


# --- texts --------------------------------------------------------------------------------------


def mode_text(lang: str, sub: SubscriptionSettings) -> str:
    if sub.mode == "daily":
        return t(lang, "mode_daily", at=clock_text(sub.digest_at))
    return t(lang, f"mode_{sub.mode}" if sub.mode in store.MODES else "mode_instant")


def reports_text(lang: str, reports: str) -> str:
    return t(lang, "reports_every" if reports == "every" else "reports_story")


def quiet_text(lang: str, settings: ChatSettings) -> str:
    if not settings.has_quiet:
        return t(lang, "quiet_none_short")
    assert settings.quiet_start is not None and settings.quiet_end is not None
    return t(lang, "quiet_window", start=clock_text(settings.quiet_start), end=clock_text(settings.quiet_end),
             mode=t(lang, f"quiet_{settings.quiet_mode if settings.quiet_mode in store.QUIET_MODES else 'silent'}"))


def summary_text(lang: str, settings: ChatSettings) -> str:
    return t(lang, "summary_short" if settings.summary_length == "short" else "summary_normal")


def _error(lang: str, err: ParseError, **extra: str) -> Reply:
    return text(t(lang, err.key, value=err.value, **extra))


async def _load(services: Services, caller: Caller) -> tuple[ChatSettings, tzinfo, datetime]:
    settings = await services.db(lambda s: store.get(s, caller.chat))
    now = services.clock()
    return settings, zone_of(settings, services.timezone), now


# --- /timezone ----------------------------------------------------------------------------------


async def show_timezone(services: Services, caller: Caller, _args: str = "") -> Reply:
    lang = caller.language
    settings, zone, now = await _load(services, caller)
    reply = Reply().add(t(lang, "tz_show", zone=zone_label(zone, now), now=clock_text(_minute(now, zone))))
    if not settings.timezone:
        reply.add(t(lang, "tz_default"))
    if caller.tier >= Tier.ADMIN:
        reply.add("\n").italic(t(lang, "tz_hint"))
    return reply


def _minute(moment: datetime, zone: tzinfo) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


async def timezone(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    try:
        name = parse_zone(args)
    except ParseError as err:
        return _error(lang, err)
    now = services.clock()
    settings = await services.db(
        lambda s: store.set_timezone(s, caller.chat, name, actor=caller.actor, now=now))
    zone = zone_of(settings, services.timezone)
    key = "tz_set" if name else "tz_reset"
    reply = text(t(lang, key, zone=zone_label(zone, now), now=clock_text(_minute(now, zone))))
    if settings.has_quiet:
        reply.add("\n").add(t(lang, "tz_quiet_note", quiet=quiet_text(lang, settings)))
    return reply


# --- /quiet -------------------------------------------------------------------------------------


async def show_quiet(services: Services, caller: Caller, _args: str = "") -> Reply:
    lang = caller.language
    settings, zone, now = await _load(services, caller)
    if settings.has_quiet:
        reply = text(t(lang, "quiet_show", quiet=quiet_text(lang, settings), zone=zone_label(zone, now)))
    else:
        reply = text(t(lang, "quiet_none"))
    if caller.tier >= Tier.ADMIN:
        reply.add("\n").italic(t(lang, "quiet_hint"))
    return reply


async def quiet(services: Services, caller: Caller, args: str) -> Reply:
    """``23:00-07:00 [silent|hold]``, ``off``, or only ``silent|hold`` to change what an
    existing window does."""
    lang = caller.language
    words = fold(args).split()
    now = services.clock()
    if len(words) == 1 and word(OFF_WORDS, words[0]):
        await services.db(lambda s: store.set_quiet(s, caller.chat, None, None, actor=caller.actor, now=now))
        return text(t(lang, "quiet_off"))
    mode = None
    if words and word(QUIET_WORDS, words[-1]):
        mode = word(QUIET_WORDS, words.pop())
    if not words:  # a mode alone: the window stays
        def change_mode(s: Session) -> ChatSettings | None:
            current = store.get(s, caller.chat)
            if not current.has_quiet:
                return None
            return store.set_quiet(s, caller.chat, current.quiet_start, current.quiet_end, mode,
                                   actor=caller.actor, now=now)

        if mode is None:
            return text(t(lang, "quiet_bad", value=args.strip()))
        changed = await services.db(change_mode)
        if changed is None:
            return text(t(lang, "quiet_no_window", mode=mode))
        return await _quiet_done(services, lang, changed, now)
    try:
        start, end = parse_window(" ".join(words))
    except ParseError as err:
        return _error(lang, err)
    settings = await services.db(
        lambda s: store.set_quiet(s, caller.chat, start, end, mode, actor=caller.actor, now=now))
    return await _quiet_done(services, lang, settings, now)


async def _quiet_done(services: Services, lang: str, settings: ChatSettings, now: datetime) -> Reply:
    zone = zone_of(settings, services.timezone)
    reply = text(t(lang, "quiet_set", quiet=quiet_text(lang, settings), zone=zone_label(zone, now)))
    explain = "quiet_explain_hold" if settings.quiet_mode == "hold" else "quiet_explain_silent"
    return reply.add("\n").add(t(lang, explain))


# --- /digest ------------------------------------------------------------------------------------


async def digest(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    words = args.split()
    if not words:
        return text(t(lang, "digest_usage"))
    ref, rest = words[0], words[1:]
    if not rest:
        return text(t(lang, "digest_usage"))
    try:
        choice = parse_digest(rest)
    except ParseError as err:
        return _error(lang, err, slug=ref)
    now = services.clock()

    def work(s: Session):
        row = sub_cmd.find_topic(s, caller, ref)
        if row is None:
            return None, None, watchlist_store.slugs_of(s, [caller.home])
        result = store.set_mode(s, caller.chat, row.id, choice.mode, choice.at, actor=caller.actor, now=now)
        if result is not None and result.mode == "instant":  # what waited for a digest goes out now
            digest_store.release_instant(s, now, caller.chat, row.id)
        return row, result, []

    row, result, slugs = await services.db(work)
    if row is None:
        return text(t(lang, "unknown_topic", slug=topicref.parse(ref)[1], topics=slug_list(slugs)))
    if result is None:
        return text(t(lang, "digest_not_subscribed", name=row.name, slug=ref))
    settings, zone, _ = await _load(services, caller)
    reply = Reply().bold(row.name).add(": ").add(mode_text(lang, result))
    if result.mode == "daily":
        reply.add(t(lang, "digest_zone", zone=zone_label(zone, now)))
    return reply


# --- /settings ----------------------------------------------------------------------------------

BUTTON = "cset"


async def show_settings(services: Services, caller: Caller, _args: str = "") -> Reply:
    """The chat's zone, quiet hours and summary length; buttons for those who may change them."""
    lang = caller.language
    settings, zone, now = await _load(services, caller)
    reply = Reply().line(t(lang, "settings_title"), "bold")
    reply.add("• ").add(t(lang, "settings_zone")).line(zone_label(zone, now))
    reply.add("• ").add(t(lang, "settings_quiet")).line(quiet_text(lang, settings))
    reply.add("• ").add(t(lang, "settings_summary")).line(summary_text(lang, settings))
    reply.italic(t(lang, "settings_subs_hint"))
    if caller.tier >= Tier.ADMIN:
        reply.add("\n").italic(t(lang, "settings_hint"))
        mark = lambda on, label: f"✓ {label}" if on else label  # noqa: E731
        reply.button_row(*(Button(mark(settings.summary_length == v, t(lang, f"btn_summary_{v}")), f"{BUTTON}:sum.{v}")
                           for v in store.SUMMARY_LENGTHS))
        if settings.has_quiet:
            reply.button_row(*(Button(mark(settings.quiet_mode == v, t(lang, f"btn_quiet_{v}")), f"{BUTTON}:quiet.{v}")
                               for v in store.QUIET_MODES))
    return reply


async def summary(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    length = word(SUMMARY_WORDS, args)
    if length is None:
        return text(t(lang, "summary_bad", value=args.strip()))
    now = services.clock()
    await services.db(lambda s: store.set_summary_length(s, caller.chat, length, actor=caller.actor, now=now))
    return text(t(lang, "summary_set", length=t(lang, f"summary_{length}")))


async def reports(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    words = args.split()
    choice = word(REPORT_WORDS, words[1]) if len(words) == 2 else None
    if choice is None:
        return text(t(lang, "reports_usage"))
    ref = words[0]
    now = services.clock()

    def work(s: Session):
        row = sub_cmd.find_topic(s, caller, ref)
        if row is None:
            return None, None, watchlist_store.slugs_of(s, [caller.home])
        return row, store.set_reports(s, caller.chat, row.id, choice, actor=caller.actor, now=now), []

    row, result, slugs = await services.db(work)
    if row is None:
        return text(t(lang, "unknown_topic", slug=topicref.parse(ref)[1], topics=slug_list(slugs)))
    if result is None:
        return text(t(lang, "digest_not_subscribed", name=row.name, slug=ref))
    return Reply().bold(row.name).add(": ").add(reports_text(lang, result.reports))


async def button(services: Services, caller: Caller, arg: str) -> Reply:
    """A settings button (the router checked the tier): change, then redraw the settings."""
    what, _, value = arg.partition(".")
    lang = caller.language
    if what == "sum" and value in store.SUMMARY_LENGTHS:
        done = await summary(services, caller, value)
    elif what == "quiet" and value in store.QUIET_MODES:
        done = await quiet(services, caller, value)
    else:
        return Reply(notice=t(lang, "button_expired"))
    view = await show_settings(services, caller)
    view.edit, view.notice = True, done.plain()
    return view
