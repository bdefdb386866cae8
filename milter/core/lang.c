/*
 * lang - translated headings and labels (UTF-8).
 *
 * Headings LT_DESC to LT_MORE are the seed pages' own wording, which the
 * compare subcommand reproduces exactly; keep them as they are.
 */
#include <string.h>

#include "core/lang.h"

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
     }},
    {"zh",
     "中文",
     false,
     {
         [LT_DESC] = "描述",           [LT_WHEN] = "何时出现",
         [LT_FIX] = "如何修复",        [LT_DIFF] = "主要区别",
         [LT_WHICH] = "何时使用哪个",  [LT_MORE] = "了解更多",
         [LT_SITE] = "SMTP 回复代码",  [LT_SKIP] = "跳到主要内容",
         [LT_NAV] = "网站导航",        [LT_HOME] = "全部代码",
         [LT_LANGS] = "语言",          [LT_CLASS] = "类别",
         [LT_RELATED] = "相关代码",    [LT_COMPARE] = "对比",
         [LT_CAUSES] = "原因",         [LT_CODES] = "代码",
         [LT_BASIC] = "基本回复代码",  [LT_ENHANCED] = "增强状态代码",
         [LT_ACROSS] = "跨类别和主题",
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

const struct lang *
lang_find(const char *code)
{
	size_t i;

	for (i = 0; i < lang_count(); i++)
		if (strcmp(langs[i].code, code) == 0)
			return &langs[i];
	return NULL;
}
