/*
 * The help site's stylesheet (milter/site/site.css), built into the binary
 * byte for byte and NUL-terminated, as the code table is.
 */
	.section .rodata
	.global site_css
	.type	site_css, @object
site_css:
	.incbin	STYLE_FILE
	.byte	0
	.size	site_css, . - site_css
	.section .note.GNU-stack, "", @progbits
