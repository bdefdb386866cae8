divert(-1)
dnl milter-annotate.m4 - Sendmail FEATURE that declares milter-annotate as an
dnl input mail filter.
dnl
dnl (cf.m4 turns m4 comments off, so every note here is a dnl line: its text
dnl is dropped unread, macro names included.)
dnl
dnl The Debian package installs it where sendmail-cf looks for features,
dnl /usr/share/sendmail/cf/feature/. In sendmail.mc, before the MAILER lines:
dnl
dnl   FEATURE(`milter-annotate')dnl
dnl       the socket of the packaged /etc/milter-annotate.conf,
dnl       inet:8891@127.0.0.1
dnl   FEATURE(`milter-annotate', `unix:/var/spool/milter-annotate/sock')dnl
dnl       another socket, in Sendmail's form: inet:PORT@HOST,
dnl       inet6:PORT@HOST, unix:/path or local:/path (a bare /path is taken
dnl       as local:/path)
dnl
dnl `milter-annotate mta-config sendmail' prints the line that matches the
dnl configuration in force. Then rebuild sendmail.cf (sendmailconfig, or
dnl make -C /etc/mail) and restart Sendmail.
dnl
dnl The filter is named milter-annotate and declared with:
dnl   no F= flag   while the milter cannot be reached, mail flows as without
dnl                it (unannotated, its rules not applied): mail never
dnl                depends on the annotator. Declare it with
dnl                INPUT_MAIL_FILTER and F=T instead to tempfail meanwhile;
dnl   T=S:10s      10 s to send a command to the milter,
dnl     R:10s      10 s for each of its answers (its own decisions take
dnl                milliseconds),
dnl     E:5m       5 min for the whole end-of-message exchange.
dnl In proxy mode the milter waits for its upstream up to upstream_timeout:
dnl use the INPUT_MAIL_FILTER line `mta-config sendmail' prints there, whose
dnl R: is longer than that.

divert(0)dnl
VERSIONID(`milter-annotate feature')
divert(-1)

ifelse(len(X`'_ARG_), `1',
	`define(`_MILTER_ANNOTATE_SOCKET_', `inet:8891@127.0.0.1')',
	`ifelse(substr(_ARG_, 0, 1), `/',
		`define(`_MILTER_ANNOTATE_SOCKET_', `local:'_ARG_)',
		`define(`_MILTER_ANNOTATE_SOCKET_', _ARG_)')')

INPUT_MAIL_FILTER(`milter-annotate',
	`S='_MILTER_ANNOTATE_SOCKET_`, T=S:10s;R:10s;E:5m')
