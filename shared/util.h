/* SPDX-License-Identifier: ISC */
/*
 * Internal helpers of libmtasts that the library files and the programs
 * share: the FNV-1a hash, the capped file reader, a bounded number parser,
 * the character classes of the RFC 8461 grammars, a write that finishes
 * and the daemons' "-u user[:group]". Not part of the public interface
 * (mtasts.h); the names still carry the sts_ prefix because the programs
 * link them from libmtasts.a.
 */
#ifndef STS_UTIL_H
#define STS_UTIL_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#define STS_CONF_FILE_MAX	(1024 * 1024)	/* the global file */
#define STS_DOMAIN_FILE_MAX	(64 * 1024)	/* a domain file */

/* 64-bit FNV-1a: STS_HASH_INIT, then sts_hash_add for each piece. */
#define STS_HASH_INIT	0xcbf29ce484222325ULL
uint64_t sts_hash_add(uint64_t h, const void *p, size_t len);
uint64_t sts_hash(const void *p, size_t len);

/*
 * The one way a file is opened, to be read or written:
 * openat(dirfd, path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode) (a
 * FIFO does not block, a terminal is never taken), then fstat into *st
 * (may be NULL). The descriptor of a regular file, or -1 with err
 * "PATH: reason" (the path escaped) and errno: that of the failed call;
 * for anything but a regular file "PATH: not a regular file" and EISDIR
 * (a directory) or EINVAL, *st then telling what it is (sts_file_kind).
 */
int	 sts_open_file(int dirfd, const char *path, int flags, mode_t mode,
	    struct stat *st, char *err, size_t errlen);
/* "a FIFO", "a directory", "a symbolic link", ... for st_mode */
const char *sts_file_kind(mode_t mode);

/*
 * Read fd to its end, at most cap bytes; hint (the size fstat gave, or 0)
 * sizes the buffer. 0 and *buf (malloc'd, NUL-terminated, *len bytes
 * before the NUL), or -1 and errno: EFBIG over cap, ENOMEM, or read's.
 * What was read is wiped before it is freed on failure.
 */
int	 sts_read_fd(int fd, size_t cap, size_t hint, char **buf, size_t *len);

/*
 * Read the regular file path (relative to dirfd, or AT_FDCWD) whole, at
 * most cap bytes: opened O_RDONLY by sts_open_file, whose fstat goes into
 * *st when st is not NULL (taken before the read). 0 and *buf as
 * sts_read_fd, or -1 with err and errno as sts_open_file's, or EFBIG
 * ("PATH: larger than N KiB"), ENOMEM, read's.
 */
int	 sts_read_file(int dirfd, const char *path, size_t cap, char **buf,
	    size_t *len, struct stat *st, char *err, size_t errlen);

/*
 * One UTF-8 sequence at p (left bytes): its length (1 to 4) with *cp, or
 * 0 when it is not valid (a stray or missing continuation byte, an
 * overlong form, a surrogate, above U+10FFFF).
 */
size_t	 sts_u8_next(const unsigned char *p, size_t left, unsigned *cp);
/*
 * A code point that must not reach a terminal or a page as it is: the C1
 * controls, the bidirectional controls (they reorder what follows, as in
 * "Trojan Source") and the line and paragraph separators.
 */
int	 sts_u8_hidden(unsigned cp);

/*
 * sts_escape (mtasts.h), but valid UTF-8 is kept as it is, except the C1
 * controls, the bidirectional controls and the line and paragraph
 * separators: for reports that people read. Returns dst.
 */
char	*sts_escape_utf8(char *dst, size_t dstlen, const char *src,
	    size_t srclen);

/*
 * Room for one more element in v, an array of n elements of size bytes
 * with room for *cap: v itself while n < *cap, else v grown (doubled;
 * first elements the first time) and *cap with it. NULL when out of
 * memory, v then untouched.
 */
void	*sts_grow(void *v, size_t n, size_t *cap, size_t size, size_t first);

/* A qsort/bsearch comparator of two char * elements, strcmp order. */
int	 sts_strp_cmp(const void *a, const void *b);

/*
 * strtonum-style: all of s, in base (10, or 8 for a file mode), within
 * [min, max]; no sign, no leading space. 0 and *out, or -1.
 */
int	 sts_parse_num(const char *s, long long min, long long max, int base,
	    long long *out);

/* All len bytes of buf to fd, again after EINTR: 0, or -1 with errno. */
int	 sts_write_all(int fd, const void *buf, size_t len);

/*
 * "-u user[:group]" of the daemons: *uid and *gid of the user (the
 * group's gid when one is named). 0, or -1 with err ("-u ...: why") when
 * the spec is malformed, the user or group does not exist, or either is
 * root (uid or gid 0: the daemons refuse to run as root).
 */
int	 sts_user_lookup(const char *spec, uid_t *uid, gid_t *gid, char *err,
	    size_t errlen);
/*
 * Become uid:gid for good (supplementary groups dropped, real, effective
 * and saved ids all changed), then check root cannot be regained. When
 * not root, 0 if already uid, else -1. 0, or -1 with err.
 */
int	 sts_drop_privileges(uid_t uid, gid_t gid, char *err, size_t errlen);

/* Character classes (ASCII only, whatever the locale). */
static inline int
sts_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static inline int
sts_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline int
sts_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int
sts_is_alnum(unsigned char c)
{
	return sts_is_alpha(c) || sts_is_digit(c);
}

/* RFC 8461's sts-ext-name / field name characters: ALPHA DIGIT _ - . */
static inline int
sts_is_name_char(unsigned char c)
{
	return sts_is_alnum(c) || c == '_' || c == '-' || c == '.';
}

static inline int
sts_is_hex(unsigned char c)
{
	return sts_is_digit(c) || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

#endif /* STS_UTIL_H */
