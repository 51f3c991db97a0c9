"""Every user-facing string, Arabic and English, each language's texts kept together.

Arabic is the default; English is used when the user's client language is English. Texts are
plain strings with ``{placeholders}``; handlers add the styling (bold, code, links).
"""

from __future__ import annotations

AR: dict[str, str] = {
    # start / help
    "about": "رقيب يتابع الأخبار العربية ويرسل لك ملخصًا قصيرًا لكل خبر جديد في المواضيع التي تشترك فيها، مرة واحدة لكل قصة.",
    "commands_title": "الأوامر:",
    "admin_title": "أوامر المشرفين:",
    "topics_title": "المواضيع:",
    "no_topics": "لا توجد مواضيع بعد.",
    "cmd_start": "التعريف بالبوت",
    "cmd_help": "المساعدة والأوامر",
    "cmd_topics": "المواضيع وأزرار الاشتراك",
    "cmd_subscribe": "الاشتراك في موضوع: /subscribe <الموضوع>",
    "cmd_unsubscribe": "إلغاء الاشتراك: /unsubscribe <الموضوع>",
    "cmd_mysubs": "اشتراكات هذه المحادثة",
    "cmd_search": "البحث في الأخبار المخزنة: /search <كلمات> [topic: source: from: to:]",
    "cmd_timeline": "قصص موضوع بترتيب وقوع الأحداث: /timeline <الموضوع> [الفترة]",
    "cmd_watch": "تعديل المواضيع: /watch new|add|exclude|remove|show|delete",
    "cmd_explain": "لماذا يطابق نص أو رابط مخزن موضوعًا: /explain <رابط أو نص>",
    "cmd_status": "حالة المصادر والتسليم",
    # subscriptions
    "subscribe_usage": "اكتب اسم الموضوع: /subscribe <الموضوع>. المواضيع: {topics}",
    "unsubscribe_usage": "اكتب اسم الموضوع: /unsubscribe <الموضوع>",
    "unknown_topic": "لا يوجد موضوع باسم «{slug}». المواضيع المتاحة: {topics}",
    "subscribed": "تم الاشتراك في: ",
    "already_subscribed": "هذه المحادثة مشتركة أصلًا في: ",
    "unsubscribed": "تم إلغاء الاشتراك في: ",
    "not_subscribed": "هذه المحادثة غير مشتركة في: ",
    "backlog_note": "ستصلك آخر {n} قصص من هذا الموضوع، ثم كل جديد.",
    "thread_note": "ستصل التنبيهات إلى هذا الموضوع من المجموعة.",
    "group_admins_only": "في المجموعات يغيّر الاشتراكات مشرفو المجموعة فقط.",
    "mysubs_title": "اشتراكات هذه المحادثة:",
    "mysubs_none": "لا اشتراكات بعد. أرسل /topics لاختيار موضوع.",
    "btn_subscribe": "➕ {name}",
    "btn_unsubscribe": "✖ {name}",
    # watchlist editing
    "admins_only": "هذا الأمر للمشرفين فقط: مالكو البوت، وفي المجموعة مشرفوها.",
    "watch_usage": (
        "الاستخدام:\n"
        "/watch new <المعرف> <الاسم>\n"
        "/watch add <المعرف> [رقم المجموعة] <مصطلح، مصطلح…>\n"
        "/watch exclude <المعرف> <مصطلح>\n"
        "/watch remove <المعرف> <مصطلح>\n"
        "/watch show <المعرف>\n"
        "/watch delete <المعرف>"
    ),
    "slug_invalid": "المعرف «{slug}» غير صالح: حروف لاتينية صغيرة وأرقام و- فقط، حتى 49 حرفًا.",
    "name_invalid": "الاسم غير صالح: {reason}",
    "slug_taken": "يوجد موضوع بالمعرف «{slug}» من قبل.",
    "created": "أُنشئ الموضوع {slug}. أضف مصطلحاته: /watch add {slug} <مصطلح>",
    "term_empty": "المصطلح فارغ.",
    "term_too_long": "المصطلح طويل جدًا ({length} حرفًا)؛ الحد {limit}.",
    "term_markup": "المصطلح يحتوي على رموز تنسيق أو تحكم غير مسموحة ({chars}).",
    "term_invalid": "المصطلح «{term}» غير صالح.",
    "term_added": "أُضيف إلى {rule}: ",
    "term_already": "موجود من قبل في {rule}: ",
    "term_excluded": "أُضيف إلى المستبعدات: ",
    "term_removed": "حُذف: ",
    "term_not_found": "ليس في قواعد الموضوع: ",
    "group_needed": "هذا الموضوع يشترط مطابقة كل مجموعة. حدد رقم المجموعة: /watch add {slug} <رقم> <مصطلح>\n{groups}",
    "group_invalid": "لا توجد مجموعة رقم {n}؛ للموضوع {count} مجموعة.",
    "rule_any": "أي منها",
    "rule_none": "المستبعدات",
    "rule_all": "المجموعة {n}",
    "rules_empty": "لا قواعد بعد: الموضوع لا يطابق أي خبر.",
    "last_edits": "آخر التعديلات:",
    "delete_confirm": "حذف الموضوع {slug} ({name})؟ لن تصل تنبيهاته بعد ذلك.",
    "btn_delete": "نعم، احذف",
    "btn_cancel": "إلغاء",
    "deleted": "حُذف الموضوع: ",
    "delete_cancelled": "أُلغي الحذف.",
    # explain
    "explain_usage": "أرسل رابط خبر مخزن أو نصًا: /explain <رابط أو نص>",
    "explain_not_stored": "هذا الرابط ليس بين الأخبار المخزنة، ولا يجلب البوت الصفحات. الصق نص الخبر بدلًا منه.",
    "explain_matched": "✅ يطابق",
    "explain_not_matched": "❌ لا يطابق",
    "explain_found": "وُجد: ",
    "explain_missing": "لا شيء من: ",
    # search / timeline
    "search_usage": (
        "اكتب كلمات البحث: /search <كلمات>\n"
        "عبارة بين علامتي تنصيص: \"كوريا الشمالية\". مرشحات: topic:kursk source:الاسم from:2025-08-01 to:2025-12-31"
    ),
    "search_none": "لا قصص مخزنة تحتوي كل هذه الكلمات.",
    "search_title": "نتائج البحث ({total}{more} قصة) — صفحة {page} من {pages}:",
    "search_stopwords": "كلمات البحث كلها كلمات شائعة لا يُبحث عنها (مثل: في، من، على). أضف كلمة مميزة.",
    "search_filters_only": "أضف كلمة بحث واحدة على الأقل مع المرشحات.",
    "search_too_long": "نص البحث طويل جدًا؛ الحد {limit} حرف.",
    "search_too_many": "كلمات كثيرة؛ الحد {limit} كلمات أو عبارات.",
    "search_unbalanced": "علامة تنصيص غير مغلقة. ضع العبارة بين علامتين: \"كوريا الشمالية\".",
    "search_bad_filter": "المرشح {name}: بلا قيمة.",
    "search_bad_date": "تاريخ غير صالح «{value}»؛ اكتبه هكذا: 2025-08-01",
    "search_bad_range": "تاريخ from يجب أن يسبق تاريخ to.",
    "btn_prev": "« السابق",
    "btn_next": "التالي »",
    "timeline_usage": "اكتب اسم الموضوع: /timeline <الموضوع> [2025 أو 2025-08 أو 30d]. المواضيع: {topics}",
    "timeline_none": "لا قصص مخزنة لهذا الموضوع في هذه الفترة.",
    "timeline_title": "تسلسل أحداث الموضوع: ",
    "timeline_bad_period": "فترة غير مفهومة «{value}»؛ أمثلة: 2025 أو 2025-08 أو 30d أو 6m",
    "timeline_sources": "{n} مصدر",
    "timeline_more": "و{n} قصص أخرى؛ حدد فترة أقصر، مثل 2025-08.",
    "btn_chart": "📈 الرسم البياني",
    "chart_caption": "قصص {name} عبر الزمن",
    # status
    "status_sources": "المصادر:",
    "status_source": "{name}: آخر نجاح {when}، أخطاء متتالية {errors}",
    "status_never": "لم ينجح بعد",
    "status_disabled": " (معطل: {reason})",
    "status_outbox": "التسليم: {pending} بانتظار الإرسال، {failed} فشلت، {sent} أُرسلت",
    "status_no_sources": "لا مصادر مسجلة.",
    # misc
    "throttled": "أرسلت أوامر كثيرة بسرعة. انتظر قليلًا ثم أعد المحاولة.",
    "button_expired": "انتهت صلاحية هذا الزر.",
    "error": "حدث خطأ؛ لم يتغير شيء. حاول مرة أخرى لاحقًا.",
    # alerts
    "alert_source": "المصدر",
    "alert_link": "الرابط",
    "alert_time": "الوقت",
    "more": "…",
    # feeds
    "cmd_feed": "مصادر RSS/Atom: /feed add|remove|enable|list|status",
    "feed_usage": (
        "الاستخدام:\n/feed add <رابط الخلاصة>\n/feed remove <الرابط>\n/feed enable <الرابط>\n"
        "/feed list\n/feed status"
    ),
    "feed_unavailable": "جلب الخلاصات غير متاح في هذا التشغيل.",
    "feed_refused": "لم يُضف المصدر: {reason}",
    "feed_added": "أُضيف المصدر {name}: ",
    "feed_added_quiet": "خُزنت أخباره الحالية دون تنبيه؛ ستصل التنبيهات بالجديد فقط.",
    "feed_exists": "هذا المصدر متابَع من قبل: ",
    "feed_first_failed": "أُضيف المصدر {name}، لكن الجلب الأول فشل: {reason}",
    "feed_removed": "أُزيل المصدر: ",
    "feed_enabled": "أُعيد تفعيل المصدر: ",
    "feed_unknown": "لا يوجد مصدر بهذا الرابط أو الاسم: ",
    "feed_list_title": "المصادر المتابعة:",
    "feed_none": "لا مصادر بعد. أضف واحدًا: /feed add <رابط>",
    "feed_line": "{name} — كل {minutes} دقيقة",
    "feed_status_title": "صحة المصادر:",
    "feed_ok": "✅ {name}: آخر نجاح {when}",
    "feed_failing": "⚠️ {name}: {errors} أخطاء متتالية، المحاولة التالية {when}",
    "feed_disabled": "⛔ {name}: معطل — {reason}. للتفعيل: /feed enable {url}",
    "feed_never": "⏳ {name}: لم يُجلب بعد",
    "explain_fetch_failed": "تعذر جلب الرابط: {reason}",
}

EN: dict[str, str] = {
    "about": "raqib follows Arabic news and sends you a short summary of every new story in the topics you subscribe to, once per story.",
    "commands_title": "Commands:",
    "admin_title": "Admin commands:",
    "topics_title": "Topics:",
    "no_topics": "There are no topics yet.",
    "cmd_start": "About the bot",
    "cmd_help": "Help and commands",
    "cmd_topics": "Topics with subscribe buttons",
    "cmd_subscribe": "Subscribe to a topic: /subscribe <topic>",
    "cmd_unsubscribe": "Unsubscribe: /unsubscribe <topic>",
    "cmd_mysubs": "This chat's subscriptions",
    "cmd_search": "Search stored news: /search <words> [topic: source: from: to:]",
    "cmd_timeline": "A topic's stories in event order: /timeline <topic> [period]",
    "cmd_watch": "Edit topics: /watch new|add|exclude|remove|show|delete",
    "cmd_explain": "Why a text or stored link matches a topic: /explain <link or text>",
    "cmd_status": "Sources and delivery status",
    "subscribe_usage": "Name the topic: /subscribe <topic>. Topics: {topics}",
    "unsubscribe_usage": "Name the topic: /unsubscribe <topic>",
    "unknown_topic": "There is no topic “{slug}”. Topics: {topics}",
    "subscribed": "Subscribed to: ",
    "already_subscribed": "This chat is already subscribed to: ",
    "unsubscribed": "Unsubscribed from: ",
    "not_subscribed": "This chat is not subscribed to: ",
    "backlog_note": "The latest {n} stories of this topic are on their way, then every new one.",
    "thread_note": "Alerts will arrive in this thread.",
    "group_admins_only": "In a group, only its admins change its subscriptions.",
    "mysubs_title": "This chat's subscriptions:",
    "mysubs_none": "No subscriptions yet. Send /topics to pick one.",
    "btn_subscribe": "➕ {name}",
    "btn_unsubscribe": "✖ {name}",
    "admins_only": "Only admins can do that: the bot's owners, and in a group its administrators.",
    "watch_usage": (
        "Usage:\n"
        "/watch new <slug> <name>\n"
        "/watch add <slug> [group number] <term, term…>\n"
        "/watch exclude <slug> <term>\n"
        "/watch remove <slug> <term>\n"
        "/watch show <slug>\n"
        "/watch delete <slug>"
    ),
    "slug_invalid": "“{slug}” is not a valid slug: lowercase latin letters, digits and '-', at most 49.",
    "name_invalid": "Invalid name: {reason}",
    "slug_taken": "A topic “{slug}” already exists.",
    "created": "Created topic {slug}. Add its terms: /watch add {slug} <term>",
    "term_empty": "The term is empty.",
    "term_too_long": "The term is too long ({length} characters); the limit is {limit}.",
    "term_markup": "The term contains markup or control characters, which are not allowed ({chars}).",
    "term_invalid": "“{term}” is not a valid term.",
    "term_added": "Added to {rule}: ",
    "term_already": "Already in {rule}: ",
    "term_excluded": "Added to the exclusions: ",
    "term_removed": "Removed: ",
    "term_not_found": "Not in this topic's rules: ",
    "group_needed": "Every group of this topic must match. Say which group: /watch add {slug} <number> <term>\n{groups}",
    "group_invalid": "There is no group {n}; this topic has {count}.",
    "rule_any": "any of",
    "rule_none": "exclusions",
    "rule_all": "group {n}",
    "rules_empty": "No rules yet: this topic matches nothing.",
    "last_edits": "Latest edits:",
    "delete_confirm": "Delete topic {slug} ({name})? Its alerts will stop.",
    "btn_delete": "Yes, delete",
    "btn_cancel": "Cancel",
    "deleted": "Deleted topic: ",
    "delete_cancelled": "Deletion cancelled.",
    "explain_usage": "Send a stored article's link or some text: /explain <link or text>",
    "explain_not_stored": "That link is not among the stored articles, and the bot does not fetch pages. Paste the article's text instead.",
    "explain_matched": "✅ matches",
    "explain_not_matched": "❌ does not match",
    "explain_found": "found: ",
    "explain_missing": "none of: ",
    "search_usage": (
        "Give some words: /search <words>\n"
        "Phrases in quotes: \"North Korea\". Filters: topic:kursk source:NAME from:2025-08-01 to:2025-12-31"
    ),
    "search_none": "No stored story contains all of these words.",
    "search_title": "Search results ({total}{more} stories), page {page} of {pages}:",
    "search_stopwords": "Every word of the query is too common to search for (in, of, the …). Add a distinctive word.",
    "search_filters_only": "Add at least one search word to the filters.",
    "search_too_long": "The query is too long; the limit is {limit} characters.",
    "search_too_many": "Too many words; the limit is {limit} words or phrases.",
    "search_unbalanced": "A quote is not closed. Put the phrase between two quotes: \"North Korea\".",
    "search_bad_filter": "The filter {name}: has no value.",
    "search_bad_date": "Invalid date «{value}»; write it as 2025-08-01",
    "search_bad_range": "The from: date must come before the to: date.",
    "btn_prev": "« Previous",
    "btn_next": "Next »",
    "timeline_usage": "Name the topic: /timeline <topic> [2025 or 2025-08 or 30d]. Topics: {topics}",
    "timeline_none": "No stories stored for this topic in this period.",
    "timeline_title": "How the topic unfolded: ",
    "timeline_bad_period": "Unknown period «{value}»; examples: 2025, 2025-08, 30d, 6m",
    "timeline_sources": "{n} source(s)",
    "timeline_more": "and {n} more stories; pick a shorter period, e.g. 2025-08.",
    "btn_chart": "📈 Chart",
    "chart_caption": "{name}: stories over time",
    "status_sources": "Sources:",
    "status_source": "{name}: last success {when}, errors in a row {errors}",
    "status_never": "never",
    "status_disabled": " (disabled: {reason})",
    "status_outbox": "Delivery: {pending} pending, {failed} failed, {sent} sent",
    "status_no_sources": "No sources recorded.",
    "throttled": "You are sending commands too fast. Wait a moment and try again.",
    "button_expired": "This button has expired.",
    "error": "Something went wrong; nothing changed. Please try again later.",
    "alert_source": "Source",
    "alert_link": "Link",
    "alert_time": "Time",
    "more": "…",
    # feeds
    "cmd_feed": "RSS/Atom sources: /feed add|remove|enable|list|status",
    "feed_usage": (
        "Usage:\n/feed add <feed URL>\n/feed remove <URL>\n/feed enable <URL>\n/feed list\n/feed status"
    ),
    "feed_unavailable": "Fetching feeds is not available in this process.",
    "feed_refused": "Feed not added: {reason}",
    "feed_added": "Added {name}: ",
    "feed_added_quiet": "its current items were stored without alerts; only new ones will alert.",
    "feed_exists": "Already following: ",
    "feed_first_failed": "Added {name}, but the first fetch failed: {reason}",
    "feed_removed": "Removed: ",
    "feed_enabled": "Re-enabled: ",
    "feed_unknown": "No feed with this URL or name: ",
    "feed_list_title": "Feeds followed:",
    "feed_none": "No feeds yet. Add one: /feed add <URL>",
    "feed_line": "{name} — every {minutes} min",
    "feed_status_title": "Feed health:",
    "feed_ok": "✅ {name}: last success {when}",
    "feed_failing": "⚠️ {name}: {errors} failures in a row, next try {when}",
    "feed_disabled": "⛔ {name}: disabled — {reason}. To re-enable: /feed enable {url}",
    "feed_never": "⏳ {name}: not fetched yet",
    "explain_fetch_failed": "Could not fetch the link: {reason}",
}

LANGUAGES: dict[str, dict[str, str]] = {"ar": AR, "en": EN}
DEFAULT_LANGUAGE = "ar"


def language_for(code: str | None) -> str:
    """Arabic unless the client says English (en, en-GB, …)."""
    return "en" if code and code.lower().split("-")[0] == "en" else DEFAULT_LANGUAGE


def t(lang: str | None, key: str, **values: object) -> str:
    table = LANGUAGES.get(lang or DEFAULT_LANGUAGE, AR)
    template = table.get(key) or AR[key]
    return template.format(**values) if values else template
