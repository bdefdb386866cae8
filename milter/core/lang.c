/*
 * lang - translated headings and labels (UTF-8).
 *
 * Headings LT_DESC to LT_MORE are the seed pages' own wording, which the
 * compare subcommand reproduces exactly; keep them as they are.
 */
#include <string.h>

#include "core/lang.h"
#include "core/who.h"

static const struct lang langs[] = {
    {"en",
     "English",
     false,
     {
         [LT_DESC] = "Description",
         [LT_WHEN] = "When you see it",
         [LT_FIX] = "How to fix",
         [LT_DIFF] = "Key differences",
         [LT_WHICH] = "When to use which",
         [LT_MORE] = "Learn more",
         [LT_SITE] = "SMTP reply codes",
         [LT_SKIP] = "Skip to content",
         [LT_NAV] = "Site navigation",
         [LT_HOME] = "All codes",
         [LT_LANGS] = "Languages",
         [LT_CLASS] = "Class",
         [LT_RELATED] = "Related codes",
         [LT_COMPARE] = "Comparisons",
         [LT_CAUSES] = "Causes",
         [LT_CODES] = "Codes",
         [LT_BASIC] = "Basic reply codes",
         [LT_ENHANCED] = "Enhanced status codes",
         [LT_ACROSS] = "Across classes and subjects",
         [LT_WHO] = "Who should act",
         [LT_WHO_SENDER] = "The sender",
         [LT_WHO_SENDER_ADMIN] = "The sender's mail administrator",
         [LT_WHO_RECIPIENT] = "The recipient",
         [LT_WHO_RECIPIENT_ADMIN] = "The recipient's mail administrator",
         [LT_WHO_NOBODY] = "Nobody: the sending server retries by itself",
         [LT_EXPLANATION] = "Explanation",
         [LT_HELP] = "Help",
         [LT_DSN_TITLE] = "Delivery report",
         [LT_DSN_FAILED_ONE] =
             "Your message could not be delivered to 1 recipient.",
         [LT_DSN_FAILED] =
             "Your message could not be delivered to %N recipients.",
         [LT_DSN_DELAYED_ONE] = "Your message has not yet been delivered "
                                "to 1 recipient; the mail system keeps "
                                "trying.",
         [LT_DSN_DELAYED] = "Your message has not yet been delivered to %N "
                            "recipients; the mail system keeps trying.",
         [LT_DSN_BADGE_FAILED] = "Not delivered",
         [LT_DSN_BADGE_DELAYED] = "Delayed",
         [LT_DSN_REPLY] = "The server's reply",
         [LT_DSN_RETRY] = "Retried until",
         [LT_DSN_MORE] = "Recipients not listed here: %N (see the original "
                         "notification).",
         [LT_DSN_ORIGINAL] = "The mail system's original notification",
     }},
    {"ar",
     "العربية",
     true,
     {
         [LT_DESC] = "الوصف",
         [LT_WHEN] = "متى تراه",
         [LT_FIX] = "كيفية الإصلاح",
         [LT_DIFF] = "الفروق الرئيسية",
         [LT_WHICH] = "متى تستخدم أيًا منهما",
         [LT_MORE] = "اعرف المزيد",
         [LT_SITE] = "رموز ردود SMTP",
         [LT_SKIP] = "انتقل إلى المحتوى",
         [LT_NAV] = "التنقل في الموقع",
         [LT_HOME] = "جميع الرموز",
         [LT_LANGS] = "اللغات",
         [LT_CLASS] = "الفئة",
         [LT_RELATED] = "رموز ذات صلة",
         [LT_COMPARE] = "المقارنات",
         [LT_CAUSES] = "الأسباب",
         [LT_CODES] = "الرموز",
         [LT_BASIC] = "رموز الرد الأساسية",
         [LT_ENHANCED] = "رموز الحالة المحسّنة",
         [LT_ACROSS] = "بين الفئات والمواضيع",
         [LT_WHO] = "من عليه التصرف",
         [LT_WHO_SENDER] = "المرسِل",
         [LT_WHO_SENDER_ADMIN] = "مسؤول البريد لدى المرسِل",
         [LT_WHO_RECIPIENT] = "المستلِم",
         [LT_WHO_RECIPIENT_ADMIN] = "مسؤول البريد لدى المستلِم",
         [LT_WHO_NOBODY] = "لا أحد: يعيد خادم الإرسال المحاولة تلقائيًا",
         [LT_EXPLANATION] = "الشرح",
         [LT_HELP] = "المساعدة",
         [LT_DSN_TITLE] = "تقرير التسليم",
         [LT_DSN_FAILED_ONE] = "تعذّر تسليم رسالتك إلى مستلم واحد.",
         [LT_DSN_FAILED] = "تعذّر تسليم رسالتك إلى %N من المستلمين.",
         [LT_DSN_DELAYED_ONE] = "لم تُسلَّم رسالتك بعد إلى مستلم واحد، "
                                "ولا يزال نظام البريد يحاول.",
         [LT_DSN_DELAYED] = "لم تُسلَّم رسالتك بعد إلى %N من المستلمين، "
                            "ولا يزال نظام البريد يحاول.",
         [LT_DSN_BADGE_FAILED] = "لم تُسلَّم",
         [LT_DSN_BADGE_DELAYED] = "متأخرة",
         [LT_DSN_REPLY] = "ردّ الخادم",
         [LT_DSN_RETRY] = "تستمر المحاولة حتى",
         [LT_DSN_MORE] = "مستلمون غير مذكورين هنا: %N (انظر الإشعار "
                         "الأصلي).",
         [LT_DSN_ORIGINAL] = "الإشعار الأصلي من نظام البريد",
     }},
    {"ru",
     "Русский",
     false,
     {
         [LT_DESC] = "Описание",
         [LT_WHEN] = "Когда вы это видите",
         [LT_FIX] = "Как исправить",
         [LT_DIFF] = "Ключевые различия",
         [LT_WHICH] = "Когда что использовать",
         [LT_MORE] = "Узнать больше",
         [LT_SITE] = "Коды ответов SMTP",
         [LT_SKIP] = "Перейти к содержанию",
         [LT_NAV] = "Навигация по сайту",
         [LT_HOME] = "Все коды",
         [LT_LANGS] = "Языки",
         [LT_CLASS] = "Класс",
         [LT_RELATED] = "Связанные коды",
         [LT_COMPARE] = "Сравнения",
         [LT_CAUSES] = "Причины",
         [LT_CODES] = "Коды",
         [LT_BASIC] = "Основные коды ответа",
         [LT_ENHANCED] = "Расширенные коды состояния",
         [LT_ACROSS] = "Между классами и темами",
         [LT_WHO] = "Кто должен действовать",
         [LT_WHO_SENDER] = "Отправитель",
         [LT_WHO_SENDER_ADMIN] = "Почтовый администратор отправителя",
         [LT_WHO_RECIPIENT] = "Получатель",
         [LT_WHO_RECIPIENT_ADMIN] = "Почтовый администратор получателя",
         [LT_WHO_NOBODY] = "Никто: сервер отправителя повторит попытку сам",
         [LT_EXPLANATION] = "Объяснение",
         [LT_HELP] = "Справка",
         [LT_DSN_TITLE] = "Отчёт о доставке",
         [LT_DSN_FAILED_ONE] =
             "Ваше сообщение не удалось доставить одному получателю.",
         [LT_DSN_FAILED] =
             "Ваше сообщение не удалось доставить получателям: %N.",
         [LT_DSN_DELAYED_ONE] = "Ваше сообщение ещё не доставлено одному "
                                "получателю; почтовая система продолжает "
                                "попытки.",
         [LT_DSN_DELAYED] = "Ваше сообщение ещё не доставлено получателям: "
                            "%N; почтовая система продолжает попытки.",
         [LT_DSN_BADGE_FAILED] = "Не доставлено",
         [LT_DSN_BADGE_DELAYED] = "Задержано",
         [LT_DSN_REPLY] = "Ответ сервера",
         [LT_DSN_RETRY] = "Попытки до",
         [LT_DSN_MORE] = "Получатели, не перечисленные здесь: %N (см. "
                         "исходное уведомление).",
         [LT_DSN_ORIGINAL] = "Исходное уведомление почтовой системы",
     }},
    {"zh",
     "中文",
     false,
     {
         [LT_DESC] = "描述",
         [LT_WHEN] = "何时出现",
         [LT_FIX] = "如何修复",
         [LT_DIFF] = "主要区别",
         [LT_WHICH] = "何时使用哪个",
         [LT_MORE] = "了解更多",
         [LT_SITE] = "SMTP 回复代码",
         [LT_SKIP] = "跳到主要内容",
         [LT_NAV] = "网站导航",
         [LT_HOME] = "全部代码",
         [LT_LANGS] = "语言",
         [LT_CLASS] = "类别",
         [LT_RELATED] = "相关代码",
         [LT_COMPARE] = "对比",
         [LT_CAUSES] = "原因",
         [LT_CODES] = "代码",
         [LT_BASIC] = "基本回复代码",
         [LT_ENHANCED] = "增强状态代码",
         [LT_ACROSS] = "跨类别和主题",
         [LT_WHO] = "应由谁处理",
         [LT_WHO_SENDER] = "发件人",
         [LT_WHO_SENDER_ADMIN] = "发件人的邮件管理员",
         [LT_WHO_RECIPIENT] = "收件人",
         [LT_WHO_RECIPIENT_ADMIN] = "收件人的邮件管理员",
         [LT_WHO_NOBODY] = "无需处理：发送服务器会自动重试",
         [LT_EXPLANATION] = "说明",
         [LT_HELP] = "帮助",
         [LT_DSN_TITLE] = "投递报告",
         [LT_DSN_FAILED_ONE] = "您的邮件无法投递给 1 位收件人。",
         [LT_DSN_FAILED] = "您的邮件无法投递给 %N 位收件人。",
         [LT_DSN_DELAYED_ONE] =
             "您的邮件尚未投递给 1 位收件人，邮件系统仍在重试。",
         [LT_DSN_DELAYED] =
             "您的邮件尚未投递给 %N 位收件人，邮件系统仍在重试。",
         [LT_DSN_BADGE_FAILED] = "未投递",
         [LT_DSN_BADGE_DELAYED] = "已延迟",
         [LT_DSN_REPLY] = "服务器的回复",
         [LT_DSN_RETRY] = "重试截止",
         [LT_DSN_MORE] = "此处未列出的收件人：%N（见原始通知）。",
         [LT_DSN_ORIGINAL] = "邮件系统的原始通知",
     }},
};

size_t
lang_count(void)
{
	return sizeof(langs) / sizeof(langs[0]);
}

const struct lang *
lang_at(size_t i)
{
	return i < lang_count() ? &langs[i] : NULL;
}

const char *
lang_who(const struct lang *L, int who)
{
	switch (who) {
	case WHO_SENDER:
		return L->t[LT_WHO_SENDER];
	case WHO_SENDER_ADMIN:
		return L->t[LT_WHO_SENDER_ADMIN];
	case WHO_RECIPIENT:
		return L->t[LT_WHO_RECIPIENT];
	case WHO_RECIPIENT_ADMIN:
		return L->t[LT_WHO_RECIPIENT_ADMIN];
	case WHO_NOBODY:
		return L->t[LT_WHO_NOBODY];
	default:
		return "";
	}
}

const struct lang *
lang_find(const char *code)
{
	size_t i;

	for (i = 0; i < lang_count(); i++)
		if (strcmp(langs[i].code, code) == 0)
			return &langs[i];
	return NULL;
}
