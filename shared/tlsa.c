/* SPDX-License-Identifier: ISC */
/*
 * tlsa.c: which TLSA records an SMTP client can use (RFC 7672 §3.1.3,
 * §2.2): DANE-TA(2) and DANE-EE(3) with a known selector and matching
 * type whose digest has its length; PKIX-TA(0) and PKIX-EE(1) never. The
 * checker's DANE verdict (conn_dane) and the resolver's DANE-first
 * decision both ask here, so they cannot disagree.
 */
#include "sender.h"

int
tlsa_usable(const struct tlsa *t)
{
	if (t->usage != 2 && t->usage != 3)
		return 0;
	if (t->selector > 1)
		return 0;
	switch (t->mtype) {
	case 0:
		return t->len > 0;
	case 1:
		return t->len == 32;
	case 2:
		return t->len == 64;
	default:
		return 0;
	}
}
