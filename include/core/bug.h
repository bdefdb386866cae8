/*
 * bug - stop on a broken invariant.
 *
 * For states the code's own logic makes impossible (a zero-sized buffer
 * handed to a builder, a reference count below zero), never for bad input
 * or a failed allocation, which are handled and logged where they occur.
 * Going on after such a state would corrupt memory or a reply; stopping
 * lets the MTA apply its milter_default_action and the supervisor restart.
 */
#ifndef BUG_H
#define BUG_H

/*
 * Log "bug: MESSAGE" at LOG_CRIT to syslog (facility mail) and to standard
 * error, then abort(). Never returns.
 */
void ma_bug(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

#endif
