"""Every user-facing string, Arabic and English, each language's texts kept together.

Arabic is the default; English is used when the user's client language is English. Texts are
plain strings with ``{placeholders}``; handlers add the styling (bold, code, links).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

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
    "cmd_watch": "مواضيع هذه المحادثة: /watch new|add|exclude|remove|show|history|delete",
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
    "backlog_note": "ستصلك آخر قصص هذا الموضوع ({n:story})، ثم كل جديد.",
    "thread_note": "ستصل التنبيهات إلى هذا الموضوع من المجموعة.",
    "group_admins_only": "في المجموعات يغيّر الاشتراكات والإعدادات مشرفو المجموعة فقط.",
    "mysubs_title": "اشتراكات هذه المحادثة:",
    "mysubs_none": "لا اشتراكات بعد. أرسل /topics لاختيار موضوع.",
    "btn_subscribe": "➕ {name}",
    "btn_unsubscribe": "✖ {name}",
    # delivery settings: /digest, /quiet, /timezone, /settings (issue 12)
    "cmd_digest": "ملخص دوري بدل التنبيه الفوري: /digest <الموضوع> hourly|daily [HH:MM]|instant",
    "cmd_settings": "إعدادات هذه المحادثة: /settings [summary|reports]",
    "cmd_settings_show": "عرض إعدادات المحادثة",
    "cmd_settings_summary": "طول الملخص: short (جملة) أو normal (جملتان أو ثلاث)",
    "cmd_settings_reports": "تنبيه واحد لكل قصة أو تنبيه لكل تقرير في موضوع",
    "cmd_quiet": "ساعات الهدوء: /quiet 23:00-07:00 [silent|hold] أو /quiet off",
    "cmd_timezone": "المنطقة الزمنية لهذه المحادثة: /timezone [Asia/Riyadh أو UTC+3]",
    "arg_frequency": "instant (فوري) أو hourly (كل ساعة) أو daily (يومي)",
    "arg_at": "وقت الملخص اليومي، مثل 08:00",
    "arg_length": "short (جملة) أو normal (جملتان أو ثلاث)",
    "arg_reports": "story (تنبيه لكل قصة) أو every (لكل تقرير)",
    "arg_hours": "الساعات، مثل 23:00-07:00، أو off للإلغاء",
    "arg_action": "silent (بلا صوت) أو hold (تأجيل حتى تنتهي)",
    "arg_zone": "المنطقة، مثل Asia/Riyadh أو UTC+3",
    "mode_instant": "تنبيه فوري",
    "mode_hourly": "ملخص كل ساعة",
    "mode_daily": "ملخص يومي الساعة {at}",
    "reports_story": "تنبيه واحد لكل قصة",
    "reports_every": "تنبيه لكل تقرير",
    "summary_short": "قصير (جملة واحدة)",
    "summary_normal": "عادي (جملتان أو ثلاث)",
    "quiet_silent": "بلا صوت",
    "quiet_hold": "تأجيل",
    "quiet_window": "{start}–{end} ({mode})",
    "quiet_none_short": "لا يوجد",
    "bad_time": "وقت غير صالح «{value}»؛ اكتبه هكذا: 08:00 أو 21:30",
    "tz_show": "المنطقة الزمنية لهذه المحادثة: {zone}، والساعة الآن {now}",
    "tz_default": " (منطقة البوت الافتراضية)",
    "tz_hint": "للتغيير: /timezone Asia/Riyadh أو /timezone UTC+3",
    "tz_set": "ضُبطت المنطقة الزمنية: {zone}، والساعة الآن فيها {now}.",
    "tz_reset": "عادت المحادثة إلى منطقة البوت الافتراضية: {zone}، والساعة الآن {now}.",
    "tz_quiet_note": "ساعات الهدوء {quiet} تُحسب الآن بهذه المنطقة.",
    "tz_bad": "لا أعرف المنطقة الزمنية «{value}». أمثلة: Asia/Riyadh أو Africa/Cairo أو UTC+3 أو الرياض",
    "tz_half": "الفرق «{value}» ليس ساعات كاملة؛ اكتب اسم المنطقة، مثل Asia/Tehran أو Asia/Kolkata",
    "quiet_show": "ساعات الهدوء: {quiet} بتوقيت {zone}.",
    "quiet_none": "لا ساعات هدوء لهذه المحادثة: تصل التنبيهات بصوت في كل وقت.",
    "quiet_hint": "للضبط: /quiet 23:00-07:00 silent أو hold، وللإلغاء: /quiet off",
    "quiet_set": "ساعات الهدوء: {quiet} بتوقيت {zone}.",
    "quiet_explain_silent": "تصل التنبيهات فيها بلا صوت.",
    "quiet_explain_hold": "تُؤجَّل التنبيهات فيها وتصل عند انتهائها.",
    "quiet_off": "أُلغيت ساعات الهدوء: تصل التنبيهات بصوت في كل وقت.",
    "quiet_bad": "لم أفهم «{value}». اكتب الساعات هكذا: /quiet 23:00-07:00 [silent|hold] أو /quiet off",
    "quiet_empty": "بداية ساعات الهدوء ونهايتها واحدة «{value}».",
    "quiet_no_window": "لا ساعات هدوء بعد؛ حددها أولًا: /quiet 23:00-07:00 {mode}",
    "digest_usage": "الاستخدام: /digest <الموضوع> instant|hourly|daily [HH:MM]\nمثال: /digest kursk daily 08:00",
    "digest_bad_mode": "لم أفهم «{value}»؛ اختر instant أو hourly أو daily [HH:MM].",
    "digest_time_only_daily": "الوقت يُحدد للملخص اليومي فقط: /digest {slug} daily {value}",
    "digest_not_subscribed": "هذه المحادثة غير مشتركة في «{name}». اشترك أولًا: /subscribe {slug}",
    "digest_zone": " بتوقيت {zone}",
    "settings_usage": "الاستخدام:\n/settings\n/settings summary short|normal\n/settings reports <الموضوع> story|every",
    "settings_title": "إعدادات هذه المحادثة:",
    "settings_zone": "المنطقة الزمنية: ",
    "settings_quiet": "ساعات الهدوء: ",
    "settings_summary": "طول الملخص: ",
    "settings_subs_hint": "طريقة وصول كل موضوع في /mysubs",
    "settings_hint": "للتغيير: /timezone و/quiet و/digest و/settings summary و/settings reports",
    "summary_set": "طول الملخص: {length}.",
    "summary_bad": "لم أفهم «{value}»؛ اختر short أو normal: /settings summary short",
    "reports_usage": "الاستخدام: /settings reports <الموضوع> story|every",
    "btn_summary_short": "ملخص قصير",
    "btn_summary_normal": "ملخص عادي",
    "btn_quiet_silent": "🔕 بلا صوت",
    "btn_quiet_hold": "⏸ تأجيل",
    "mysubs_hint": "للتغيير: /digest <الموضوع> hourly|daily|instant و/settings reports و/quiet",
    # watchlist editing
    "admins_only": "هذا الأمر للمشرفين فقط: مالكو البوت، وفي المجموعة مشرفوها.",
    "watch_usage": (
        "الاستخدام:\n"
        "/watch new <المعرف> <الاسم>\n"
        "/watch add <المعرف> [رقم القاعدة] <مصطلح، مصطلح…>\n"
        "/watch exclude <المعرف> <مصطلح>\n"
        "/watch remove <المعرف> <مصطلح>\n"
        "/watch show <المعرف>\n"
        "/watch history <المعرف>\n"
        "/watch delete <المعرف>"
    ),
    "slug_invalid": "المعرف «{slug}» غير صالح: حروف لاتينية صغيرة وأرقام و- فقط، حتى 49 حرفًا.",
    "name_invalid": "الاسم غير صالح: {reason}",
    "name_empty": "الاسم فارغ.",
    "name_too_long": "الاسم طويل جدًا ({length:char})؛ الحد {limit:char}.",
    "name_markup": "الاسم يحتوي على رموز تنسيق أو تحكم غير مسموحة.",
    "slug_taken": "يوجد موضوع بالمعرف «{slug}» من قبل.",
    "created": "أُنشئ الموضوع {slug}. أضف مصطلحاته: /watch add {slug} <مصطلح>",
    "term_empty": "المصطلح فارغ.",
    "term_too_long": "المصطلح طويل جدًا ({length:char})؛ الحد {limit:char}.",
    "term_markup": "المصطلح يحتوي على رموز تنسيق أو تحكم غير مسموحة ({chars}).",
    "term_invalid": "المصطلح «{term}» غير صالح.",
    "term_added": "أُضيف إلى {rule}: ",
    "term_already": "موجود من قبل في {rule}: ",
    "term_excluded": "أُضيف إلى المستبعدات: ",
    "term_removed": "حُذف: ",
    "term_not_found": "ليس في قواعد الموضوع: ",
    "group_needed": "هذا الموضوع يشترط مطابقة كل قاعدة. حدد رقم القاعدة: /watch add {slug} <رقم> <مصطلح>\n{groups}",
    "group_invalid": "لا توجد القاعدة {n}؛ قواعد هذا الموضوع: {count:rule}.",
    "rule_any": "أي منها",
    "rule_none": "المستبعدات",
    "rule_all": "القاعدة {n}",
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
    "search_title": "نتائج البحث ({total:story}{more}) — صفحة {page} من {pages}:",
    "search_stopwords": "كلمات البحث كلها كلمات شائعة لا يُبحث عنها (مثل: في، من، على). أضف كلمة مميزة.",
    "search_filters_only": "أضف كلمة بحث واحدة على الأقل مع المرشحات.",
    "search_too_long": "نص البحث طويل جدًا؛ الحد {limit:char}.",
    "search_too_many": "كلمات كثيرة؛ الحد {limit:word} (العبارة بين علامتي تنصيص كلمة واحدة).",
    "search_unbalanced": "علامة تنصيص غير مغلقة. ضع العبارة بين علامتين: \"كوريا الشمالية\".",
    "search_bad_filter": "المرشح {name}: بلا قيمة.",
    "search_bad_date": "تاريخ غير صالح «{value}»؛ اكتبه هكذا: 2025-08-01",
    "search_bad_range": "تاريخ from يجب أن يسبق تاريخ to.",
    "btn_prev": "« السابق",
    "btn_next": "التالي »",
    "timeline_usage": "اكتب اسم الموضوع: /timeline <الموضوع> [2025 أو 2025-08 أو 30d]. المواضيع: {topics}",
    "timeline_none": "لا قصص مخزنة لهذا الموضوع في هذه الفترة.",
    "timeline_title": "تسلسل أحداث الموضوع: ",
    "timeline_bad_period": "فترة غير مفهومة «{value}»؛ أمثلة: 2025 أو 2025-08 أو 30d أو 6m أو «الشهر الماضي»",
    "timeline_sources": "{n:source}",
    "timeline_more": "لم تُعرض {n:story}؛ حدد فترة أقصر، مثل 2025-08.",
    "btn_chart": "📈 الرسم البياني",
    "chart_caption": "قصص {name} عبر الزمن",
    # status
    "status_sources": "المصادر:",
    "status_source": "{name}: آخر نجاح {when}، الأخطاء المتتالية: {errors:error}",
    "status_never": "لم ينجح بعد",
    "status_disabled": " (معطل: {reason})",
    "status_outbox": "التسليم — بانتظار الإرسال: {pending:alert}؛ فشل: {failed:alert}؛ أُرسل: {sent:alert}",
    "status_outbox_waiting": "التسليم — بانتظار الإرسال منذ {since}: {pending:alert} (يُعاد بعد أخطاء: {retrying:alert})؛ فشل: {failed:alert}؛ أُرسل: {sent:alert}",
    "status_no_sources": "لا مصادر مسجلة.",
    # permissions, scopes, registry (issue 10)
    "owners_only": "هذا الأمر لمالكي البوت فقط.",
    "owners_only_scope": "لا يُنشئ موضوعًا عامًا أو لمحادثة أخرى إلا مالكو البوت.",
    "global_readonly": "الموضوع «{slug}» عام يديره مالكو البوت: يمكنكم الاشتراك فيه لا تعديله. أنشئوا موضوعًا خاصًا بكم: /watch new",
    "not_your_topic": "الموضوع «{slug}» لمحادثة أخرى؛ لا يعدّله إلا مشرفوها.",
    "shadow_note": "يوجد موضوع عام بالمعرف نفسه؛ في هذه المحادثة يُقصد موضوعكم، وللعام اكتبوا global:{slug}",
    "scope_global": "عام",
    "scope_own": "خاص بهذه المحادثة",
    "history_title": "آخر تعديلات ",
    "history_none": "لا تعديلات مسجلة.",
    "help_title": "الأوامر المتاحة لك هنا:",
    "help_admins_more": "لمشرفي المحادثة أوامر أخرى لإدارة المواضيع والاشتراكات.",
    "start_help": "أرسل /help لقائمة الأوامر، أو اختر موضوعًا:",
    "cmd_watch_new": "إنشاء موضوع لهذه المحادثة",
    "cmd_watch_add": "إضافة مصطلحات إلى موضوع",
    "cmd_watch_exclude": "استبعاد مصطلح من موضوع",
    "cmd_watch_remove": "حذف مصطلح من قواعد موضوع",
    "cmd_watch_show": "عرض قواعد موضوع",
    "cmd_watch_history": "آخر تعديلات موضوع",
    "cmd_watch_delete": "حذف موضوع",
    "cmd_feed_add": "متابعة مصدر RSS/Atom (للمالكين)",
    "cmd_feed_remove": "إيقاف متابعة مصدر (للمالكين)",
    "cmd_feed_enable": "إعادة تفعيل مصدر معطل (للمالكين)",
    "cmd_feed_list": "المصادر المتابعة",
    "cmd_feed_status": "صحة كل مصدر",
    "arg_topic": "الموضوع",
    "arg_slug": "معرف الموضوع: حروف لاتينية صغيرة وأرقام و-",
    "arg_name": "اسم الموضوع بالعربية",
    "arg_terms": "مصطلح أو أكثر، بينها فواصل",
    "arg_term": "المصطلح",
    "arg_query": "كلمات البحث، ويمكن إضافة topic: source: from: to:",
    "arg_period": "الفترة: 2025 أو 2025-08 أو 30d أو 6m",
    "arg_url": "رابط الخلاصة",
    "arg_text": "رابط خبر أو نصه",
    # misc
    "throttled": "أرسلت أوامر كثيرة بسرعة. انتظر قليلًا ثم أعد المحاولة.",
    "button_expired": "انتهت صلاحية هذا الزر.",
    "error": "حدث خطأ؛ لم يتغير شيء. حاول مرة أخرى لاحقًا.",
    # alerts
    "alert_source": "المصدر",
    "alert_link": "الرابط",
    "alert_time": "الوقت",
    # The alert's meta line and buttons (issue 12, parts 4 and 5).
    "alert_sources": "نشرته {n:source}",
    "btn_why": "لماذا؟",
    "btn_related": "قصص ذات صلة",
    "btn_mute_hour": "🔕 كتم ساعة",
    "btn_mute_day": "🔕 كتم يوم",
    "btn_alert_unsubscribe": "إلغاء الاشتراك",
    "why_title": "لماذا وصلك هذا التنبيه؟",
    "why_topic": "الموضوع: ",
    "why_terms": "كلمات مطابقة",
    "why_gone": "لم يعد هذا الموضوع أو هذه القصة موجودين.",
    "muted_until": "كُتم «{name}» حتى {until}",
    "mysubs_muted": "مكتوم حتى {until}",
    "related_title": "قصص ذات صلة بـ«{headline}»:",
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
    "feed_line": "{name} — الفاصل بين جلبين: {minutes:minute}",
    "feed_status_title": "صحة المصادر:",
    "feed_ok": "✅ {name}: آخر نجاح {when}",
    "feed_failing": "⚠️ {name}: الأخطاء المتتالية: {errors:error}؛ المحاولة التالية {when}",
    "feed_disabled": "⛔ {name}: معطل — {reason}. للتفعيل: /feed enable {url}",
    "feed_never": "⏳ {name}: لم يُجلب بعد",
    "explain_fetch_failed": "تعذر جلب الرابط: {reason}",
    "explain_no_text": "لم يُعثر في الصفحة على نص خبر.",
    "feed_added_report": "جُلب {items:item}؛ منها {new:new_story}.",
    "feed_added_report_none": "جُلب {items:item}؛ لا جديد فيها.",
    "feed_not_modified": "لم يتغير محتوى المصدر منذ آخر جلب.",
    # error classes: what a user is told; the raw error goes to the log
    "err_private": "العنوان يشير إلى شبكة داخلية أو خاصة، وجلبه غير مسموح.",
    "err_dns": "لم يُعثر على الخادم: اسم النطاق غير معروف.",
    "err_timeout": "انتهت مهلة الاتصال بالخادم دون رد.",
    "err_url": "الرابط غير صالح: يُقبل http و https فقط، بلا اسم مستخدم أو كلمة مرور.",
    "err_redirects": "الرابط يحوّل إلى عناوين أخرى مرات كثيرة.",
    "err_too_big": "حجم المحتوى أكبر من الحد المسموح.",
    "err_not_feed": "المحتوى ليس خلاصة RSS أو Atom صالحة.",
    "err_corrupt": "وصلت من الخادم بيانات تالفة.",
    "err_rate": "طلب الخادم التمهل قبل المحاولة التالية.",
    "err_rejected": "رفضت المنصة الرسالة نفسها (طلب غير مقبول).",
    "err_forbidden": "رفض الخادم الطلب أو حُظر البوت.",
    "err_gone": "العنوان غير موجود أو لم يعد متاحًا.",
    "err_server": "الخادم معطل مؤقتًا.",
    "err_connect": "تعذر الاتصال بالخادم.",
    "err_other": "خطأ تقني؛ التفاصيل في سجل البوت.",
    # /status: the same figures as the /metrics endpoint, in words
    "status_activity": "منذ التشغيل:",
    "status_ingested": "المقالات — بدأت قصصًا جديدة: {new:article}؛ ضُمّت إلى قصص قائمة: {joined:article}؛ الحدث نفسه من مصادر أخرى: {same:article}؛ مكررة: {dup:article}",
    "status_alerts": "التنبيهات — أُرسل: {sent:alert}؛ أُعيدت محاولته: {retried:alert}؛ فشل: {failed:alert}",
    "status_feed_errors": "أخطاء جلب المصادر: {n:error}؛ طلبات التمهّل من المنصات (429): {throttled:error}",
    "status_latency": "متوسط زمن إرسال التنبيه: {seconds} ثانية",
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
    "cmd_watch": "This chat's topics: /watch new|add|exclude|remove|show|history|delete",
    "cmd_explain": "Why a text or stored link matches a topic: /explain <link or text>",
    "cmd_status": "Sources and delivery status",
    "subscribe_usage": "Name the topic: /subscribe <topic>. Topics: {topics}",
    "unsubscribe_usage": "Name the topic: /unsubscribe <topic>",
    "unknown_topic": "There is no topic “{slug}”. Topics: {topics}",
    "subscribed": "Subscribed to: ",
    "already_subscribed": "This chat is already subscribed to: ",
    "unsubscribed": "Unsubscribed from: ",
    "not_subscribed": "This chat is not subscribed to: ",
    "backlog_note": "This topic's latest stories ({n:story}) are on their way, then every new one.",
    "thread_note": "Alerts will arrive in this thread.",
    "group_admins_only": "In a group, only its admins change its subscriptions and settings.",
    "mysubs_title": "This chat's subscriptions:",
    "mysubs_none": "No subscriptions yet. Send /topics to pick one.",
    "btn_subscribe": "➕ {name}",
    "btn_unsubscribe": "✖ {name}",
    "cmd_digest": "A digest instead of instant alerts: /digest <topic> hourly|daily [HH:MM]|instant",
    "cmd_settings": "This chat's settings: /settings [summary|reports]",
    "cmd_settings_show": "Show the chat's settings",
    "cmd_settings_summary": "Summary length: short (1 sentence) or normal (2–3)",
    "cmd_settings_reports": "One alert per story, or one per report, for a topic",
    "cmd_quiet": "Quiet hours: /quiet 23:00-07:00 [silent|hold] or /quiet off",
    "cmd_timezone": "This chat's time zone: /timezone [Asia/Riyadh or UTC+3]",
    "arg_frequency": "instant, hourly or daily",
    "arg_at": "When the daily digest comes, e.g. 08:00",
    "arg_length": "short (1 sentence) or normal (2–3)",
    "arg_reports": "story (one alert per story) or every (every report)",
    "arg_hours": "The hours, e.g. 23:00-07:00, or off",
    "arg_action": "silent (no sound) or hold (until they end)",
    "arg_zone": "The zone, e.g. Asia/Riyadh or UTC+3",
    "mode_instant": "instant alerts",
    "mode_hourly": "hourly digest",
    "mode_daily": "daily digest at {at}",
    "reports_story": "one alert per story",
    "reports_every": "every report",
    "summary_short": "short (1 sentence)",
    "summary_normal": "normal (2–3 sentences)",
    "quiet_silent": "silent",
    "quiet_hold": "held",
    "quiet_window": "{start}–{end} ({mode})",
    "quiet_none_short": "none",
    "bad_time": "Invalid time «{value}»; write it as 08:00 or 21:30",
    "tz_show": "This chat's time zone: {zone}; it is {now} there now",
    "tz_default": " (the bot's default)",
    "tz_hint": "To change it: /timezone Asia/Riyadh or /timezone UTC+3",
    "tz_set": "Time zone set: {zone}; it is {now} there now.",
    "tz_reset": "Back to the bot's default zone: {zone}; it is {now} there now.",
    "tz_quiet_note": "Quiet hours {quiet} are now read in this zone.",
    "tz_bad": "Unknown time zone «{value}». Examples: Asia/Riyadh, Africa/Cairo, UTC+3",
    "tz_half": "«{value}» is not a whole number of hours; name the zone instead, e.g. Asia/Tehran or Asia/Kolkata",
    "quiet_show": "Quiet hours: {quiet}, {zone} time.",
    "quiet_none": "No quiet hours: alerts arrive with sound at any time.",
    "quiet_hint": "To set: /quiet 23:00-07:00 silent or hold; to remove: /quiet off",
    "quiet_set": "Quiet hours: {quiet}, {zone} time.",
    "quiet_explain_silent": "Alerts arrive without sound during them.",
    "quiet_explain_hold": "Alerts are held during them and arrive when they end.",
    "quiet_off": "Quiet hours removed: alerts arrive with sound at any time.",
    "quiet_bad": "Could not read «{value}». Write the hours as /quiet 23:00-07:00 [silent|hold] or /quiet off",
    "quiet_empty": "The quiet hours start and end at the same time «{value}».",
    "quiet_no_window": "No quiet hours yet; set them first: /quiet 23:00-07:00 {mode}",
    "digest_usage": "Usage: /digest <topic> instant|hourly|daily [HH:MM]\nExample: /digest kursk daily 08:00",
    "digest_bad_mode": "Could not read «{value}»; choose instant, hourly or daily [HH:MM].",
    "digest_time_only_daily": "A time is for a daily digest only: /digest {slug} daily {value}",
    "digest_not_subscribed": "This chat is not subscribed to «{name}». Subscribe first: /subscribe {slug}",
    "digest_zone": ", {zone} time",
    "settings_usage": "Usage:\n/settings\n/settings summary short|normal\n/settings reports <topic> story|every",
    "settings_title": "This chat's settings:",
    "settings_zone": "Time zone: ",
    "settings_quiet": "Quiet hours: ",
    "settings_summary": "Summary length: ",
    "settings_subs_hint": "How each topic arrives: /mysubs",
    "settings_hint": "To change: /timezone, /quiet, /digest, /settings summary, /settings reports",
    "summary_set": "Summary length: {length}.",
    "summary_bad": "Could not read «{value}»; choose short or normal: /settings summary short",
    "reports_usage": "Usage: /settings reports <topic> story|every",
    "btn_summary_short": "Short summaries",
    "btn_summary_normal": "Normal summaries",
    "btn_quiet_silent": "🔕 Silent",
    "btn_quiet_hold": "⏸ Hold",
    "mysubs_hint": "To change: /digest <topic> hourly|daily|instant, /settings reports, /quiet",
    "admins_only": "Only admins can do that: the bot's owners, and in a group its administrators.",
    "watch_usage": (
        "Usage:\n"
        "/watch new <slug> <name>\n"
        "/watch add <slug> [rule number] <term, term…>\n"
        "/watch exclude <slug> <term>\n"
        "/watch remove <slug> <term>\n"
        "/watch show <slug>\n"
        "/watch history <slug>\n"
        "/watch delete <slug>"
    ),
    "slug_invalid": "“{slug}” is not a valid slug: lowercase latin letters, digits and '-', at most 49.",
    "name_invalid": "Invalid name: {reason}",
    "name_empty": "The name is empty.",
    "name_too_long": "The name is too long ({length:char}); the limit is {limit:char}.",
    "name_markup": "The name contains markup or control characters, which are not allowed.",
    "slug_taken": "A topic “{slug}” already exists.",
    "created": "Created topic {slug}. Add its terms: /watch add {slug} <term>",
    "term_empty": "The term is empty.",
    "term_too_long": "The term is too long ({length:char}); the limit is {limit:char}.",
    "term_markup": "The term contains markup or control characters, which are not allowed ({chars}).",
    "term_invalid": "“{term}” is not a valid term.",
    "term_added": "Added to {rule}: ",
    "term_already": "Already in {rule}: ",
    "term_excluded": "Added to the exclusions: ",
    "term_removed": "Removed: ",
    "term_not_found": "Not in this topic's rules: ",
    "group_needed": "Every rule of this topic must match. Say which rule: /watch add {slug} <number> <term>\n{groups}",
    "group_invalid": "There is no rule {n}; this topic has {count:rule}.",
    "rule_any": "any of",
    "rule_none": "exclusions",
    "rule_all": "rule {n}",
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
    "search_title": "Search results ({total:story}{more}), page {page} of {pages}:",
    "search_stopwords": "Every word of the query is too common to search for (in, of, the …). Add a distinctive word.",
    "search_filters_only": "Add at least one search word to the filters.",
    "search_too_long": "The query is too long; the limit is {limit:char}.",
    "search_too_many": "Too many words; the limit is {limit:word} (a quoted phrase counts as one).",
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
    "timeline_sources": "{n:source}",
    "timeline_more": "{n:story} not shown; pick a shorter period, e.g. 2025-08.",
    "btn_chart": "📈 Chart",
    "chart_caption": "{name}: stories over time",
    "status_sources": "Sources:",
    "status_source": "{name}: last success {when}, errors in a row: {errors:error}",
    "status_never": "never",
    "status_disabled": " (disabled: {reason})",
    "status_outbox": "Delivery — pending: {pending:alert}; failed: {failed:alert}; sent: {sent:alert}",
    "status_outbox_waiting": "Delivery — waiting since {since}: {pending:alert} (retrying after errors: {retrying:alert}); failed: {failed:alert}; sent: {sent:alert}",
    "status_no_sources": "No sources recorded.",
    "owners_only": "Only the bot's owners can do that.",
    "owners_only_scope": "Only the bot's owners create global topics or topics of another chat.",
    "global_readonly": "“{slug}” is a global topic the bot's owners curate: you may subscribe to it, not edit it. Make your own: /watch new",
    "not_your_topic": "“{slug}” belongs to another chat; only its admins edit it.",
    "shadow_note": "A global topic has the same slug; in this chat yours is meant, write global:{slug} for the global one.",
    "scope_global": "global",
    "scope_own": "this chat's own",
    "history_title": "Latest edits of ",
    "history_none": "No edits recorded.",
    "help_title": "Commands you can use here:",
    "help_admins_more": "The chat's admins have more commands to manage topics and subscriptions.",
    "start_help": "Send /help for the commands, or pick a topic:",
    "cmd_watch_new": "Create a topic for this chat",
    "cmd_watch_add": "Add terms to a topic",
    "cmd_watch_exclude": "Exclude a term from a topic",
    "cmd_watch_remove": "Remove a term from a topic's rules",
    "cmd_watch_show": "Show a topic's rules",
    "cmd_watch_history": "A topic's latest edits",
    "cmd_watch_delete": "Delete a topic",
    "cmd_feed_add": "Follow an RSS/Atom feed (owners)",
    "cmd_feed_remove": "Stop following a feed (owners)",
    "cmd_feed_enable": "Re-enable a disabled feed (owners)",
    "cmd_feed_list": "The feeds followed",
    "cmd_feed_status": "Each feed's health",
    "arg_topic": "The topic",
    "arg_slug": "The topic's slug: lowercase latin letters, digits and -",
    "arg_name": "The topic's name",
    "arg_terms": "One or more terms, separated by commas",
    "arg_term": "The term",
    "arg_query": "Words to search for; topic: source: from: to: filters allowed",
    "arg_period": "The period: 2025, 2025-08, 30d or 6m",
    "arg_url": "The feed's URL",
    "arg_text": "An article's link or its text",
    "throttled": "You are sending commands too fast. Wait a moment and try again.",
    "button_expired": "This button has expired.",
    "error": "Something went wrong; nothing changed. Please try again later.",
    "alert_source": "Source",
    "alert_link": "Link",
    "alert_time": "Time",
    "alert_sources": "reported by {n:source}",
    "btn_why": "Why?",
    "btn_related": "Related stories",
    "btn_mute_hour": "🔕 Mute 1 h",
    "btn_mute_day": "🔕 Mute 1 day",
    "btn_alert_unsubscribe": "Unsubscribe",
    "why_title": "Why you got this alert:",
    "why_topic": "Topic: ",
    "why_terms": "matched terms",
    "why_gone": "This topic or story no longer exists.",
    "muted_until": "Muted “{name}” until {until}",
    "mysubs_muted": "muted until {until}",
    "related_title": "Stories related to “{headline}”:",
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
    "feed_line": "{name} — every {minutes:minute}",
    "feed_status_title": "Feed health:",
    "feed_ok": "✅ {name}: last success {when}",
    "feed_failing": "⚠️ {name}: errors in a row: {errors:error}; next try {when}",
    "feed_disabled": "⛔ {name}: disabled — {reason}. To re-enable: /feed enable {url}",
    "feed_never": "⏳ {name}: not fetched yet",
    "explain_fetch_failed": "Could not fetch the link: {reason}",
    "explain_no_text": "No article text was found on the page.",
    "feed_added_report": "fetched {items:item}; {new:new_story}.",
    "feed_added_report_none": "fetched {items:item}; nothing new.",
    "feed_not_modified": "the feed has not changed since the last fetch.",
    "err_private": "the address points into a private or internal network, which may not be fetched.",
    "err_dns": "the server was not found: unknown domain name.",
    "err_timeout": "the server did not answer in time.",
    "err_url": "not a valid link: only http and https, without a user name or password.",
    "err_redirects": "the link redirects too many times.",
    "err_too_big": "the content is larger than the limit.",
    "err_not_feed": "the content is not a valid RSS or Atom feed.",
    "err_corrupt": "the server sent corrupt data.",
    "err_rate": "the server asked us to slow down.",
    "err_rejected": "the platform refused the message itself (bad request).",
    "err_forbidden": "the server refused the request, or the bot was blocked.",
    "err_gone": "the address does not exist or is gone.",
    "err_server": "the server is failing for now.",
    "err_connect": "could not connect to the server.",
    "err_other": "a technical error; the details are in the bot's log.",
    "status_activity": "Since start:",
    "status_ingested": "Articles — started new stories: {new:article}; joined existing stories: {joined:article}; the same event from other outlets: {same:article}; duplicates: {dup:article}",
    "status_alerts": "Alerts — sent: {sent:alert}; to retry: {retried:alert}; failed: {failed:alert}",
    "status_feed_errors": "Feed errors: {n:error}; slow-down answers from the platforms (429): {throttled}",
    "status_latency": "Mean time to send an alert: {seconds} s",
}

# helperT: issue 12 rendering (handlers/format.py): outlets that joined a story, another outlet's
# report, digests and the archive message.
AR.update({
    "alert_also": "نشرته أيضًا",
    "report_mark": "من مصدر آخر",
    "digest_hourly": "ملخص الساعة {start}–{end} · {day}",
    "digest_daily": "ملخص يوم {day}",
    "digest_span": "ملخص {start} – {end}",
    "archive_title": "من الأرشيف",
    "list_continued": "(تابع)",
})
EN.update({
    "alert_also": "Also reported by",
    "report_mark": "Another outlet",
    "digest_hourly": "Digest {start}–{end} · {day}",
    "digest_daily": "Daily digest · {day}",
    "digest_span": "Digest {start} – {end}",
    "archive_title": "From the archive",
    "list_continued": "(continued)",
})

# helperZ: issue 12, the Discord choices of the settings commands (handlers/registry.py Arg.choices)
# and the /timezone autocomplete (handlers/settings.py zone_choices).
AR.update({
    "choice_daily": "ملخص يومي",
    "choice_zone_default": "المنطقة الافتراضية ({zone})",
})
EN.update({
    "choice_daily": "Daily digest",
    "choice_zone_default": "The default zone ({zone})",
})

# helper why: issue 12 part 1 leftovers, why a report joined a story (handlers/why.py): the «لماذا؟»
# answer, /explain of a stored link; and the same-event count of /status.
AR.update({
    "why_joins_title": "لماذا هي قصة واحدة؟",
    "join_copy": "نسخة",
    "join_contained": "نص متضمن",
    "join_update": "تحديث",
    "join_event": "الحدث نفسه بصياغة أخرى",
    "join_of": "، ضُمّ إلى تقرير {source}: ",
    "join_gone": "، ضُمّ إلى تقرير لم يعد مخزنًا",
    "join_names": "كلمات نادرة مشتركة: ",
    "join_figures": "أرقام مشتركة: ",
    "join_headline": "تشابه العنوانين: {percent}٪",
    "join_hours": "الفارق: {hours:hour}",
    "join_hours_under": "الفارق: أقل من ساعة",
    "join_hours_rough": " (بحسب وقت الجلب)",
    "join_score": "الدرجة {score} والعتبة {bar}",
    "join_more": "… و{n:report} غيرها",
    "explain_join": "ضُمّ هذا الخبر إلى قصة قائمة:",
})
EN.update({
    "why_joins_title": "Why these reports are one story:",
    "join_copy": "copy",
    "join_contained": "contained text",
    "join_update": "update",
    "join_event": "the same event in other words",
    "join_of": ", joined to {source}'s report: ",
    "join_gone": ", joined to a report no longer stored",
    "join_names": "shared rare words: ",
    "join_figures": "shared figures: ",
    "join_headline": "headlines {percent}% alike",
    "join_hours": "{hours:hour} apart",
    "join_hours_under": "under an hour apart",
    "join_hours_rough": " (by fetch time)",
    "join_score": "score {score}, bar {bar}",
    "join_more": "… and {n:report} more",
    "explain_join": "This article joined a known story:",
})

LANGUAGES: dict[str, dict[str, str]] = {"ar": AR, "en": EN}
DEFAULT_LANGUAGE = "ar"


def language_for(code: str | None) -> str:
    """Arabic unless the client says English (en, en-GB, …)."""
    return "en" if code and code.lower().split("-")[0] == "en" else DEFAULT_LANGUAGE


# --- counted nouns ------------------------------------------------------------------------------
# Arabic number agreement (the rules every grammar gives; digits stay Western as in the rest of
# raqib's replies). The form depends on the last two digits:
#   0            → «لا» + plural          (لا قصص)        — chosen over «0 قصة», which reads as a typo
#   1            → singular + «واحد/ة»     (قصة واحدة، مصدر واحد)
#   2            → dual                    (قصتان، مصدران)
#   3–10         → N + plural              (3 قصص، 10 مصادر)
#   11–99        → N + singular accusative (11 قصة، 15 مصدرًا)
#   100, 101, …  → N + singular genitive   (100 قصة، 101 مصدر، 102 مصدر)
#   n%100 in 3–10 or 11–99 beyond 100 follows the same rule (103 قصص، 115 مصدرًا).
# English: "1 story", "0 stories", "2 stories".


@dataclass(frozen=True)
class Noun:
    """One counted noun: Arabic singular, dual, plural, singular accusative (tamyiz), gender;
    English singular and plural."""

    singular: str
    dual: str
    plural: str
    accusative: str
    feminine: bool
    en_singular: str
    en_plural: str


NOUNS: dict[str, Noun] = {
    "story": Noun("قصة", "قصتان", "قصص", "قصة", True, "story", "stories"),
    "source": Noun("مصدر", "مصدران", "مصادر", "مصدرًا", False, "source", "sources"),
    "feed": Noun("مصدر", "مصدران", "مصادر", "مصدرًا", False, "feed", "feeds"),
    "article": Noun("مقال", "مقالان", "مقالات", "مقالًا", False, "article", "articles"),
    "alert": Noun("تنبيه", "تنبيهان", "تنبيهات", "تنبيهًا", False, "alert", "alerts"),
    "news": Noun("خبر", "خبران", "أخبار", "خبرًا", False, "news item", "news items"),
    "minute": Noun("دقيقة", "دقيقتان", "دقائق", "دقيقة", True, "minute", "minutes"),
    "hour": Noun("ساعة", "ساعتان", "ساعات", "ساعة", True, "hour", "hours"),
    "day": Noun("يوم", "يومان", "أيام", "يومًا", False, "day", "days"),
    "second": Noun("ثانية", "ثانيتان", "ثوانٍ", "ثانية", True, "second", "seconds"),
    "chat": Noun("محادثة", "محادثتان", "محادثات", "محادثة", True, "chat", "chats"),
    "subscription": Noun("اشتراك", "اشتراكان", "اشتراكات", "اشتراكًا", False, "subscription", "subscriptions"),
    "subscriber": Noun("مشترك", "مشتركان", "مشتركين", "مشتركًا", False, "subscriber", "subscribers"),
    "item": Noun("عنصر", "عنصران", "عناصر", "عنصرًا", False, "item", "items"),
    "error": Noun("خطأ", "خطآن", "أخطاء", "خطأً", False, "error", "errors"),
    "term": Noun("مصطلح", "مصطلحان", "مصطلحات", "مصطلحًا", False, "term", "terms"),
    "rule": Noun("قاعدة", "قاعدتان", "قواعد", "قاعدة", True, "rule", "rules"),
    "topic": Noun("موضوع", "موضوعان", "مواضيع", "موضوعًا", False, "topic", "topics"),
    "char": Noun("حرف", "حرفان", "أحرف", "حرفًا", False, "character", "characters"),
    "word": Noun("كلمة", "كلمتان", "كلمات", "كلمة", True, "word", "words"),
    "new_story": Noun("قصة جديدة", "قصتان جديدتان", "قصص جديدة", "قصة جديدة", True, "new story", "new stories"),
    "duplicate": Noun("نسخة مكررة", "نسختان مكررتان", "نسخ مكررة", "نسخة مكررة", True, "duplicate", "duplicates"),
    "update": Noun("تحديث", "تحديثان", "تحديثات", "تحديثًا", False, "update", "updates"),
    "same_event_report": Noun("تقرير عن حدث معروف", "تقريران عن حدث معروف", "تقارير عن أحداث معروفة",
                              "تقريرًا عن حدث معروف", False, "same-event report", "same-event reports"),
    "report": Noun("تقرير", "تقريران", "تقارير", "تقريرًا", False, "report", "reports"),
    "near_duplicate": Noun("نسخة شبه مكررة", "نسختان شبه مكررتان", "نسخ شبه مكررة", "نسخة شبه مكررة", True,
                           "near-duplicate", "near-duplicates"),
}


def counted(lang: str | None, n: int, noun: str) -> str:
    """``n`` of ``noun`` in ``lang`` with the number agreement of that language (see the rules above)."""
    word = NOUNS[noun]
    n = int(n)
    if lang == "en":
        return f"{n} {word.en_singular if n == 1 else word.en_plural}"
    if n == 0:
        return f"لا {word.plural}"
    if n == 1:
        return f"{word.singular} {'واحدة' if word.feminine else 'واحد'}"
    if n == 2:
        return word.dual
    tail = abs(n) % 100
    if 3 <= tail <= 10:
        return f"{n} {word.plural}"
    if 11 <= tail <= 99:
        return f"{n} {word.accusative}"
    return f"{n} {word.singular}"


class _Formatter(string.Formatter):
    """``{n:story}`` in a template renders ``n`` through ``counted`` in the template's language."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in NOUNS:
            return counted(self.lang, value, format_spec)
        return super().format_field(value, format_spec)


def t(lang: str | None, key: str, **values: object) -> str:
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    table = LANGUAGES[lang]
    template = table.get(key) or AR[key]
    if not values:
        return template
    return _Formatter(lang if key in table else DEFAULT_LANGUAGE).format(template, **values)


# --- error classes --------------------------------------------------------------------------------
# A reply names the kind of failure in the user's language; the raw text ("[Errno -2] Name or
# service not known", "HTTP 404") goes to the log only. First match wins.
_ERROR_CLASSES: list[tuple[tuple[str, ...], str]] = [
    (("resolves to a",), "err_private"),
    (("cannot resolve", "name or service not known", "errno -2", "errno -3", "nodename nor servname"), "err_dns"),
    (("timed out", "timeout"), "err_timeout"),
    (("only http", "not a valid url", "without a host", "credentials in the url"), "err_url"),
    (("redirects",), "err_redirects"),
    (("byte limit", "-byte limit"), "err_too_big"),
    (("not a feed", "xml entities", "bad utf"), "err_not_feed"),
    (("corrupt compressed", "content encoding"), "err_corrupt"),
    (("http 429", "too many requests", "retry after", "flood"), "err_rate"),
    (("http 400", "bad request", "rejected"), "err_rejected"),
    (("http 401", "http 403", "forbidden", "blocked", "kicked", "unauthorized"), "err_forbidden"),
    (("http 404", "http 410", "not found", "chat not found"), "err_gone"),
    (("http 5",), "err_server"),
    (("connect", "network", "unreachable", "refused", "reset by peer"), "err_connect"),
]


def error_text(lang: str | None, reason: str | None) -> str:
    """One sentence, in ``lang``, for the class of a technical failure reason."""
    low = (reason or "").lower()
    for needles, key in _ERROR_CLASSES:
        if any(needle in low for needle in needles):
            return t(lang, key)
    return t(lang, "err_other")
