#!/usr/bin/env python3
"""Check tests/dsn/samples/MANIFEST.tsv against the sample messages.

For every row: the file must parse with email.message_from_bytes(...,
policy=email.policy.default); the per-recipient fields of all its
message/delivery-status parts, written as address=Action/Status, must equal
the recipients column; and the kind column must agree with those actions.
Every *.eml in this directory must have exactly one row.

Recipients column: entries separated by ';', in message order, '-' for none.
  address  Final-Recipient without its address-type ("rfc822;"), unfolded
  Action   the action-value as written (comments in parentheses dropped)
  Status   the status code (comments in parentheses dropped)

Exit status 0 when everything matches, 1 otherwise.  Standard library only.
"""
import email
import email.policy
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ('dsn-failed', 'dsn-delayed', 'dsn-mixed', 'not-dsn')
HEADER = ['file', 'generator', 'kind', 'recipients', 'source']
DS_TYPES = ('message/delivery-status', 'message/global-delivery-status')


def field(block, name):
    value = block.get(name)
    if value is None:
        return None
    # unfold: collapse folding white space
    value = re.sub(r'\s+', ' ', str(value)).strip()
    return value


def strip_comment(value):
    return re.sub(r'\s*\(.*\)\s*$', '', value).strip()


def recipients(msg):
    """address=Action/Status for each per-recipient block, in order."""
    found = []
    for part in msg.walk():
        if part.get_content_type() not in DS_TYPES:
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            raise ValueError('%s part not parsed into field blocks' % part.get_content_type())
        for block in blocks:
            final = field(block, 'Final-Recipient')
            action = field(block, 'Action')
            if final is None and action is None:
                continue                       # per-message block
            if final is None:
                raise ValueError('per-recipient block without Final-Recipient')
            address = final.split(';', 1)[1].strip() if ';' in final else final
            action = strip_comment(action or '')
            status = strip_comment(field(block, 'Status') or '')
            found.append('%s=%s/%s' % (address, action, status))
    return found


def expected_kind(entries):
    actions = {e.rsplit('=', 1)[1].split('/', 1)[0].lower() for e in entries}
    if not actions & {'failed', 'delayed'}:
        return 'not-dsn'
    if actions == {'failed'}:
        return 'dsn-failed'
    if actions == {'delayed'}:
        return 'dsn-delayed'
    return 'dsn-mixed'


def main():
    errors = []
    path = os.path.join(HERE, 'MANIFEST.tsv')
    with open(path, encoding='utf-8') as fh:
        lines = [l.rstrip('\n') for l in fh if l.strip()]
    if lines[0].split('\t') != HEADER:
        errors.append('MANIFEST.tsv: header line must be %s' % '\t'.join(HEADER))
    listed = set()
    for n, line in enumerate(lines[1:], start=2):
        cols = line.split('\t')
        if len(cols) != len(HEADER):
            errors.append('MANIFEST.tsv:%d: %d columns, want %d' % (n, len(cols), len(HEADER)))
            continue
        name, generator, kind, rcpts, source = cols
        listed.add(name)
        if kind not in KINDS:
            errors.append('%s: unknown kind %r' % (name, kind))
        if not generator or not source:
            errors.append('%s: empty generator or source' % name)
        try:
            with open(os.path.join(HERE, name), 'rb') as fh:
                raw = fh.read()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            got = recipients(msg)
        except Exception as exc:                      # parse failure
            errors.append('%s: %s: %s' % (name, type(exc).__name__, exc))
            continue
        want = [] if rcpts == '-' else rcpts.split(';')
        if got != want:
            errors.append('%s: recipients differ\n    manifest: %s\n    message:  %s'
                          % (name, ';'.join(want) or '-', ';'.join(got) or '-'))
        # A report in anything but multipart/report is no DSN to annotate
        # (RFC 6522), whatever its actions say.
        is_report = (msg.get_content_type() == 'multipart/report'
                     and msg.get_param('report-type') == 'delivery-status')
        if (expected_kind(got) if is_report else 'not-dsn') != kind:
            errors.append('%s: kind %s, but its actions say %s' % (name, kind, expected_kind(got)))
        if kind != 'not-dsn' and not (msg.get_content_type() == 'multipart/report'
                                      and msg.get_param('report-type') == 'delivery-status'):
            print('note: %s: %s, not multipart/report; report-type=delivery-status'
                  % (name, msg.get_content_type()))
        print('ok' if not any(e.startswith(name + ':') for e in errors) else 'FAIL', name)
    on_disk = {f for f in os.listdir(HERE) if f.endswith('.eml')}
    for f in sorted(on_disk - listed):
        errors.append('%s: not in MANIFEST.tsv' % f)
    for f in sorted(listed - on_disk):
        errors.append('%s: in MANIFEST.tsv but missing' % f)
    for e in errors:
        print('error:', e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
