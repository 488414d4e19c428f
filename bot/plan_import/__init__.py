"""Bringing a school's own plan in: reading .docx/.xlsx/.txt files into tables (`readers`),
the versions of the plan in use (`store`), and the review in the reader's language
(`review`). What the tables mean is decided by the pure `bot.core.importer`."""
