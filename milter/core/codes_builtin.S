/*
 * The code table built into the binary: conf/codes.conf itself, included
 * byte for byte and NUL-terminated, so there is one source to keep.
 */
	.section .rodata
	.global codes_builtin
	.type	codes_builtin, @object
codes_builtin:
	.incbin	CODES_FILE
	.byte	0
	.size	codes_builtin, . - codes_builtin
	.section .note.GNU-stack, "", @progbits
