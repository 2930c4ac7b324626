/* A small printf for the console: %s %c %d %u %x, '0' and '-' flags, width, 'l'. */
#include "guest.h"

static void put(char c)
{
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
}

static void put_num(u64 v, unsigned base, int neg, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	for (; width > n; width--)
		put(pad);
	while (n)
		put(buf[--n]);
}

void printf(const char *fmt, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, is_long = 0, left = 0;
		fmt++;
		if (*fmt == '-')
			left = 1, fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			is_long = 1, fmt++;
		switch (*fmt) {
		case 'd': {
			s64 v = is_long ? __builtin_va_arg(ap, s64) : __builtin_va_arg(ap, int);
			put_num(v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x': {
			u64 v = is_long ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, unsigned);
			put_num(v, *fmt == 'x' ? 16 : 10, 0, width, pad);
			break;
		}
		case 'c':
			put((char)__builtin_va_arg(ap, int));
			break;
		case 's': {
			const char *s = __builtin_va_arg(ap, const char *);
			int len = 0;
			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			for (; !left && width > len; width--)
				put(' ');
			while (*s)
				put(*s++);
			for (; left && width > len; width--)
				put(' ');
			break;
		}
		case '%':
			put('%');
			break;
		default: /* unknown conversion: print it as written */
			put('%');
			put(*fmt);
			break;
		}
	}
	__builtin_va_end(ap);
}
