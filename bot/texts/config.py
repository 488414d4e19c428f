"""Texts for the settings check (`bot.config_check`): what each setting must be, and what can be
wrong with it, in Kazakh and Russian. The check prints both languages on one line."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # What a good value is, one per setting (the line adds an example).
    "cfg_rule_bot_token": {
        "kk": "@BotFather берген токен болуы керек: сандар, қос нүкте, шамамен 35 таңба",
        "ru": "нужен токен от @BotFather: цифры, двоеточие, около 35 символов",
    },
    "cfg_rule_telegram_api_url": {
        "kk": "http:// немесе https:// адресі болуы керек",
        "ru": "нужен адрес http:// или https://",
    },
    "cfg_rule_admin_ids": {
        "kk": "Telegram id сандары болуы керек, үтір не бос орын арқылы",
        "ru": "нужны числовые Telegram id через запятую или пробел",
    },
    "cfg_rule_database_url": {
        "kk": "дерекқор адресі болуы керек",
        "ru": "нужен адрес базы данных",
    },
    "cfg_rule_plan_path": {"kk": "жоспар файлы болуы керек", "ru": "нужен файл плана"},
    "cfg_rule_calendar_path": {
        "kk": "оқу жылының күнтізбе файлы болуы керек (немесе бос)",
        "ru": "нужен файл календаря учебного года (или пусто)",
    },
    "cfg_rule_timezone": {
        "kk": "белгісіз уақыт белдеуі",
        "ru": "неизвестный часовой пояс",
    },
    "cfg_rule_default_language": {"kk": "kk не ru болуы керек", "ru": "нужно kk или ru"},
    "cfg_rule_log_level": {
        "kk": "DEBUG, INFO, WARNING, ERROR не CRITICAL болуы керек",
        "ru": "нужно DEBUG, INFO, WARNING, ERROR или CRITICAL",
    },
    "cfg_rule_outbox_rate_per_s": {
        "kk": "0-ден үлкен, 30-дан аспайтын сан болуы керек",
        "ru": "нужно число больше 0 и не больше 30",
    },
    "cfg_rule_quiet_start_hour": {
        "kk": "0-ден 23-ке дейінгі бүтін сан (сағат) болуы керек",
        "ru": "нужно целое число от 0 до 23 (час)",
    },
    "cfg_rule_quiet_end_hour": {
        "kk": "0-ден 23-ке дейінгі бүтін сан (сағат) болуы керек",
        "ru": "нужно целое число от 0 до 23 (час)",
    },
    "cfg_rule_backup_dir": {"kk": "қалта болуы керек", "ru": "нужна папка"},
    "cfg_rule_backup_keep": {
        "kk": "1 не одан үлкен бүтін сан болуы керек",
        "ru": "нужно целое число от 1",
    },
    "cfg_rule_backup_key": {
        "kk": "кілт 44 таңба болуы керек; жаңасын `python -m bot backup-key` жасайды",
        "ru": "ключ должен быть из 44 символов; новый делает `python -m bot backup-key`",
    },
    "cfg_rule_attachments_dir": {"kk": "қалта болуы керек", "ru": "нужна папка"},
    "cfg_rule_attachment_max_mb": {
        "kk": "0-ден үлкен, 20-дан аспайтын сан (МБ) болуы керек: Telegram ботқа 20 МБ-тан "
        "үлкен файлды бермейді",
        "ru": "нужно число больше 0 и не больше 20 (МБ): больше 20 МБ Telegram боту не отдаёт",
    },
    "cfg_rule_retention_years": {
        "kk": "1-ден 25-ке дейінгі бүтін сан (оқу жылы) болуы керек",
        "ru": "нужно целое число от 1 до 25 (учебных лет)",
    },
    "cfg_rule_dev_log_sql": {"kk": "0 не 1 болуы керек", "ru": "нужно 0 или 1"},
    "cfg_rule_plans_dir": {"kk": "қалта болуы керек", "ru": "нужна папка"},
    "cfg_rule_school_name": {
        "kk": "бір жол, 200 таңбадан аспауы керек",
        "ru": "одна строка, не длиннее 200 знаков",
    },
    "cfg_rule_director_name": {
        "kk": "бір жол, 200 таңбадан аспауы керек",
        "ru": "одна строка, не длиннее 200 знаков",
    },
    "cfg_rule_templates_dir": {
        "kk": "мектеп үлгілерінің қалтасы болуы керек",
        "ru": "нужна папка с шаблонами школы",
    },
    # What is wrong beyond the rule.
    "cfg_required": {
        "kk": "бос, бірақ бот оны керек етеді",
        "ru": "не задано, а без него бот не работает",
    },
    "cfg_file_missing": {"kk": "файл табылмады", "ru": "файл не найден"},
    "cfg_file_bad": {"kk": "файлда қате бар", "ru": "в файле ошибка"},
    "cfg_not_writable": {
        "kk": "бұл қалтаға жазу мүмкін емес",
        "ru": "в эту папку нельзя записать",
    },
    "cfg_no_calendar": {
        "kk": "бүгінгі күнді қамтитын оқу жылы күнтізбесі жоқ",
        "ru": "нет календаря учебного года на сегодняшнюю дату",
    },
    "cfg_unknown_setting": {
        "kk": "белгісіз баптау, {name} болуы мүмкін бе",
        "ru": "неизвестная настройка, может быть, {name}",
    },
    "cfg_env_not_utf8": {
        "kk": "файл UTF-8 кодировкасында емес: редакторда UTF-8 етіп қайта сақтаңыз",
        "ru": "файл не в кодировке UTF-8: сохраните его в редакторе как UTF-8",
    },
    "cfg_token_rejected": {
        "kk": "Telegram бұл токенді қабылдамады (ескірген не қате көшірілген); @BotFather-ден "
        "жаңасын алыңыз",
        "ru": "Telegram не принял этот токен (отозван или скопирован с ошибкой); получите "
        "новый у @BotFather",
    },
}
