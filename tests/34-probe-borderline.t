#!/bin/bash
# SPDX-License-Identifier: ISC
# 34-probe-borderline.t: `mta-sts-check probe` against several dozen
# domains, each publishing one RFC 8461 borderline case (the _mta-sts TXT
# record, the policy text, how the policy is served over HTTPS, the MX
# hosts), judged as the RFC does (/work/shared/SPEC.md): each case has its
# expected exit status (0 valid, 1 warnings, 2 no usable policy or errors)
# and a regular expression the output must match.
#
# In a network namespace (tests/lib/netns.sh):
#
#	127.0.0.1:53	Knot: zone probe.test, one name per case (NAME.probe.test),
#			zone wild.test for the wildcard MX cases, example.net
#			for a web server reached through a CNAME
#	127.0.0.10:443	lighttpd: a static vhost mta-sts.NAME.probe.test per
#			case, its own headers, status, certificate
#	127.0.0.11:443	a TLS 1.0/1.1-only HTTPS server (python)
#	127.0.0.12:443	a scripted HTTPS server (python): each host's response
#			sent byte for byte (no Content-Type, 500, chunked, ...)
#	127.0.0.13:443	the same, TLS 1.2 at most
#	127.0.0.2/3:25	smtpd mx1/mx2.example.test (netns.sh), 127.0.0.4 without
#			STARTTLS, 127.0.0.5 a certificate for another name
#	127.0.0.20:25	smtpd, certificate mail.wild.test, wild.test, a.b.wild.test
#
# Add a case: one `tc` line below (NAME RC REGEX WHAT [KEY=VALUE ...]).
# KEEP=1 keeps the work dir, NS_VERBOSE=1 shows every probe's output,
# T34_ONLY="name ..." runs only those cases.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

command -v python3 >/dev/null 2>&1 || t_skip_all "python3 not installed"
ns_init probe-borderline

Z=probe.test
# the policy every case serves unless it says otherwise (CRLF, enforce)
GOOD='version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: mx2.example.test\r\nmax_age: 604800\r\n'
G_VM='version: STSv1\r\nmode: enforce\r\n'
G_X='mx: mx1.example.test\r\nmx: mx2.example.test\r\n'
G_A='max_age: 604800\r\n'
G_TXT='"v=STSv1; id=abc123"'

declare -A C_RC C_RE C_WHAT C_TXT C_POL C_GEN C_MX C_ADDR C_WEB C_CERT C_RR C_RAW C_RPT
CASES=

# tc NAME RC REGEX WHAT [KEY=VALUE ...]
#   txt=	the _mta-sts TXT rdata in zone-file syntax, one record a line;
#		"-": none
#   rr=		more zone lines (relative to probe.test; @N is the case's name)
#   mx=		MX rdata, one a line, instead of mx1 and mx2; "-": none
#   pol=	the policy body (printf %b); "-": no file (404)
#   gen=	a function that prints the body instead
#   addr=	mta-sts.NAME's address: 127.0.0.10 (lighttpd, default),
#		127.0.0.11 (TLS 1.1 only), 127.0.0.12 (scripted), 127.0.0.13
#		(TLS 1.2 at most); "-": no name;
#		"alias": a CNAME to web.example.net (lighttpd)
#   web=	lighttpd lines for the vhost
#   cert=	the vhost's certificate (made in ns_pki_extra), not the web one
#   raw=	scripted server: status line and headers (printf %b), then
#		Content-Length and the body (pol) are added unless raw says
#		"Transfer-Encoding: chunked" (body in two chunks) or ends in
#		"Connection: close" (no length)
#   rpt=	the TLS-RPT TXT rdata; "-": none
tc() {
	local n=$1 kv k v
	C_RC[$n]=$2
	C_RE[$n]=$3
	C_WHAT[$n]=$4
	shift 4
	C_TXT[$n]=$G_TXT
	C_POL[$n]=$GOOD
	C_ADDR[$n]=127.0.0.10
	C_RPT[$n]='"v=TLSRPTv1; rua=mailto:tlsrpt@probe.test"'
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		txt) C_TXT[$n]=$v;;
		rr) C_RR[$n]=${v//@N/$n};;
		mx) C_MX[$n]=$v;;
		pol) C_POL[$n]=$v;;
		gen) C_GEN[$n]=$v;;
		addr) C_ADDR[$n]=$v;;
		web) C_WEB[$n]=$v;;
		cert) C_CERT[$n]=$v;;
		raw) C_RAW[$n]=$v;;
		rpt) C_RPT[$n]=$v;;
		*) echo "Bail out! tc $n: unknown key $k"; exit 255;;
		esac
	done
	CASES="$CASES $n"
}

# body of exactly N bytes: the good policy and an extension line as padding
padded() {
	local size=$1 head pad
	head=$(printf '%b' "${GOOD}pad: " | wc -c)
	pad=$((size - head - 2))
	printf '%b' "${GOOD}pad: "
	head -c "$pad" /dev/zero | tr '\0' x
	printf '\r\n'
}
body_64k() { padded 65536; }
body_64k1() { padded 65537; }

# ---- TXT record (§3.1) ------------------------------------------------------------------

tc t-min 0 'id 1, mode enforce' 'TXT: minimal "v=STSv1; id=1"' \
    txt='"v=STSv1; id=1"'
tc t-nospace 0 'id abc, mode enforce' 'TXT: no space after ";"' \
    txt='"v=STSv1;id=abc"'
tc t-trailsemi 0 'id abc, mode enforce' 'TXT: trailing ";"' \
    txt='"v=STSv1; id=abc;"'
tc t-trailsemisp 0 'id abc, mode enforce' 'TXT: trailing "; "' \
    txt='"v=STSv1; id=abc; "'
tc t-tab 0 'id abc, mode enforce' 'TXT: a tab after ";"' \
    txt='"v=STSv1;\009id=abc"'
tc t-ext 0 'id abc, mode enforce' 'TXT: an extension field after the id' \
    txt='"v=STSv1; id=abc; ext-1.x_Y=v!a:l/ue"'
tc t-extfirst 0 'id abc, mode enforce' 'TXT: an extension field before the id' \
    txt='"v=STSv1; foo=bar; id=abc"'
tc t-id32 0 'id abcdefghijklmnopqrstuvwxyz012345, mode' 'TXT: a 32-character id' \
    txt='"v=STSv1; id=abcdefghijklmnopqrstuvwxyz012345"'
tc t-id33 2 '33 characters' 'TXT: a 33-character id' \
    txt='"v=STSv1; id=abcdefghijklmnopqrstuvwxyz0123456"'
tc t-iddash 2 "not '2019-04-29'" 'TXT: "-" in the id' \
    txt='"v=STSv1; id=2019-04-29"'
tc t-idunder 2 "not 'abc_1'" 'TXT: "_" in the id' \
    txt='"v=STSv1; id=abc_1"'
tc t-noid 2 'no id field' 'TXT: no id' \
    txt='"v=STSv1; foo=bar"'
tc t-idupper 2 'no id field' 'TXT: "ID=" is an extension, so no id' \
    txt='"v=STSv1; ID=abc"'
tc t-twoids 1 "warning: _mta-sts\\.t-twoids\\.probe\\.test: more than one id field: the first, id=a, counts; 'id=b' is ignored" 'TXT: two id fields: the first counts, with a warning (RFC 8461 §3.2)' \
    txt='"v=STSv1; id=a; id=b"'
tc t-spsemi 2 'no v=STSv1 record.*erratum 6285' 'TXT: "v=STSv1 ; id=x" fails the prefix test' \
    txt='"v=STSv1 ; id=x"'
tc t-upperv 2 'no v=STSv1 record.*discarded.*case-sensitive' 'TXT: "V=STSv1"' \
    txt='"V=STSv1; id=abc"'
tc t-v10 2 "no v=STSv1 record.*'v=STSv1' is not followed by ';'" 'TXT: "v=STSv10"' \
    txt='"v=STSv10; id=abc"'
tc t-leadsp 2 'no v=STSv1 record.*begins with whitespace' 'TXT: a space before "v="' \
    txt='" v=STSv1; id=abc"'
tc t-two 2 '2 records begin with' 'TXT: two v=STSv1 records' \
    txt=$'"v=STSv1; id=a"\n"v=STSv1; id=b"'
tc t-twobad 0 'id good, mode' 'TXT: one record, and one discarded by the prefix test' \
    txt=$'"v=STSv1; id=good"\n"v=STSv1 ; id=bad"'
tc t-spf 0 'id abc, mode enforce' 'TXT: one v=STSv1 record and an SPF-like one' \
    txt=$'"v=STSv1; id=abc"\n"v=spf1 -all"'
tc t-multi 0 'id abc, mode enforce' 'TXT: two strings "v=STSv1; " "id=abc"' \
    txt='"v=STSv1; " "id=abc"'
tc t-split 0 'id abcd, mode enforce' 'TXT: "v=STSv1; id=ab" "cd" joined with nothing between' \
    txt='"v=STSv1; id=ab" "cd"'
tc t-splitv 0 'id abc, mode enforce' 'TXT: "v=STS" "v1; id=abc" (prefix only when joined)' \
    txt='"v=STS" "v1; id=abc"'
tc t-cname 0 'id viacname, mode enforce' 'TXT: _mta-sts is a CNAME to the record' \
    txt=- rr=$'_mta-sts.@N\tCNAME\tsts-target.@N\nsts-target.@N\tTXT\t"v=STSv1; id=viacname"'
tc t-nonascii 2 'non-ASCII' 'TXT: non-ASCII in an extension' \
    txt='"v=STSv1; id=abc; note=caf\195\169"'
tc t-trailws 2 'whitespace at the end' 'TXT: a space after the id (no ";")' \
    txt='"v=STSv1; id=abc "'
tc t-extbad 2 "invalid character '='" 'TXT: "=" in an extension value' \
    txt='"v=STSv1; id=abc; ext=a=b"'
tc t-emptyfield 2 "empty field" 'TXT: ";;"' \
    txt='"v=STSv1;; id=abc"'
tc t-none 2 'no v=STSv1 record' 'TXT: none at all (policy served all the same)' \
    txt=-
tc t-other 2 'no v=STSv1 record' 'TXT: only an unrelated record' \
    txt='"v=spf1 -all"'

# ---- the policy text (§3.2) ------------------------------------------------------------------

tc p-crlf 0 'id abc123, mode enforce, max_age 604800, mx mx1\.example\.test, mx2\.example\.test' \
    'policy: CRLF line ends'
tc p-lf 0 'mode enforce, max_age 604800' 'policy: LF line ends (erratum 6253)' \
    pol='version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: mx2.example.test\nmax_age: 604800\n'
tc p-noterm 0 'mode enforce, max_age 604800' 'policy: no terminator after the last line' \
    pol="${G_VM}${G_X}max_age: 604800"
tc p-order 0 'mode enforce, max_age 604800' 'policy: fields in another order' \
    pol="${G_A}${G_X}mode: enforce\r\nversion: STSv1\r\n"
tc p-blank 2 'line 3: blank line' 'policy: a blank line inside' \
    pol="${G_VM}\r\n${G_X}${G_A}"
tc p-blankend 2 'line 6: blank line' 'policy: a blank line at the end' \
    pol="${GOOD}\r\n"
tc p-lead 2 'line 2: begins with whitespace' 'policy: a line with a leading space' \
    pol="version: STSv1\r\n mode: enforce\r\n${G_X}${G_A}"
tc p-barecr 2 'bare CR' 'policy: bare CR line ends' \
    pol='version: STSv1\rmode: enforce\rmx: mx1.example.test\rmx: mx2.example.test\rmax_age: 604800\r'
tc p-nosp 0 'mode enforce' 'policy: "mode:enforce" without a space' \
    pol="version: STSv1\r\nmode:enforce\r\n${G_X}${G_A}"
tc p-tab 0 'mode enforce' 'policy: a tab after ":", spaces after a value' \
    pol="version: STSv1\r\nmode:\tenforce  \r\n${G_X}${G_A}"
tc p-spcolon 2 "whitespace between 'mode' and ':'" 'policy: "mode : enforce"' \
    pol="version: STSv1\r\nmode : enforce\r\n${G_X}${G_A}"
tc p-ucmode 2 'no mode field' 'policy: "Mode: enforce" is an extension, so no mode' \
    pol="version: STSv1\r\nMode: enforce\r\n${G_X}${G_A}"
tc p-ucvalue 2 "not 'Enforce'" 'policy: "mode: Enforce"' \
    pol="version: STSv1\r\nmode: Enforce\r\n${G_X}${G_A}"
tc p-nover 2 'no version field' 'policy: no version' \
    pol="mode: enforce\r\n${G_X}${G_A}"
tc p-v2 2 "version must be STSv1, not 'STSv2'" 'policy: version STSv2' \
    pol="version: STSv2\r\nmode: enforce\r\n${G_X}${G_A}"
tc p-agemax 0 'max_age 31557600' 'policy: max_age 31557600' \
    pol="${G_VM}${G_X}max_age: 31557600\r\n"
tc p-ageover 2 'max_age 31557601 is above' 'policy: max_age 31557601' \
    pol="${G_VM}${G_X}max_age: 31557601\r\n"
tc p-age11 2 "max_age must be 1 to 10 digits, not '00000604800'" 'policy: max_age of 11 digits' \
    pol="${G_VM}${G_X}max_age: 00000604800\r\n"
tc p-agezeros 0 'max_age 604800' 'policy: max_age with leading zeros (10 digits)' \
    pol="${G_VM}${G_X}max_age: 0000604800\r\n"
tc p-noage 2 'no max_age field' 'policy: no max_age' \
    pol="${G_VM}${G_X}"
tc p-nonenomx 0 'mode none, max_age 604800, mx \(none\)' 'policy: mode none without mx' \
    pol="version: STSv1\r\nmode: none\r\n${G_A}"
tc p-withdraw 0 'mode none, max_age 3600' 'policy: mode none with a short max_age (withdrawal, §8.3)' \
    pol="version: STSv1\r\nmode: none\r\nmax_age: 3600\r\n"
tc p-shortage 1 'max_age 3600 is under a day' 'policy: enforce with max_age 3600 (valid; a warning)' \
    pol="${G_VM}${G_X}max_age: 3600\r\n"
tc p-testnomx 2 'mode testing needs at least one mx' 'policy: mode testing without mx' \
    pol="version: STSv1\r\nmode: testing\r\n${G_A}"
tc p-repeat 0 'mode testing' 'policy: mode twice, the first wins' \
    pol="version: STSv1\r\nmode: testing\r\nmode: enforce\r\n${G_X}${G_A}"
tc p-repeatbad 0 'mode enforce' 'policy: a later, invalid mode is ignored' \
    pol="${G_VM}mode: Enforce\r\n${G_X}${G_A}"
tc p-ext 0 'mode enforce' 'policy: unknown extension fields are ignored' \
    pol="${G_VM}${G_X}note: anything: goes; here = \xc3\xa9t\xc3\xa9\r\n${G_A}"
tc p-extutf8bad 2 "invalid byte \\\\xc3 in the value of 'note'" 'policy: invalid UTF-8 in an extension' \
    pol="${G_VM}${G_X}note: \xc3\x28\r\n${G_A}"
tc p-mxdot 2 'ends in a dot' 'policy: an mx with a trailing dot' \
    pol="${G_VM}mx: mx1.example.test.\r\nmx: mx2.example.test\r\n${G_A}"
tc p-mxupper 0 'mode enforce' 'policy: mx in upper case matches case-insensitively' \
    pol="${G_VM}mx: MX1.Example.TEST\r\nmx: mx2.EXAMPLE.test\r\n${G_A}"
tc p-mxlist 2 "line 3: mx" 'policy: two names on one mx line' \
    pol="${G_VM}mx: mx1.example.test, mx2.example.test\r\n${G_A}"
tc p-mxulabel 2 'is not ASCII' 'policy: an mx in U-labels' \
    pol="${G_VM}${G_X}mx: b\xc3\xbccher.example\r\n${G_A}"
tc p-mxstar 2 "has a '\\*'" 'policy: "*example.test" (no dot after "*")' \
    pol="${G_VM}mx: *example.test\r\n${G_A}"
tc p-bom 2 'byte order mark' 'policy: a UTF-8 BOM' \
    pol="\xef\xbb\xbf${GOOD}"
tc p-64k 0 'mode enforce' 'policy: exactly 64 KiB' gen=body_64k
tc p-64k1 2 'longer than 65536 bytes' 'policy: 64 KiB + 1 byte' gen=body_64k1

# wildcards: MX hosts in wild.test, served by 127.0.0.20 with a certificate for them
tc w-match 0 'MX mail\.wild\.test: STARTTLS' 'mx *.wild.test covers mail.wild.test' \
    mx='10 mail.wild.test.' pol="${G_VM}mx: *.wild.test\r\n${G_A}"
tc w-apex 2 'MX wild\.test matches no mx pattern' 'mx *.wild.test does not cover wild.test' \
    mx='10 wild.test.' pol="${G_VM}mx: *.wild.test\r\n${G_A}"
tc w-deep 2 'MX a\.b\.wild\.test matches no mx pattern' 'mx *.wild.test does not cover a.b.wild.test' \
    mx='10 a.b.wild.test.' pol="${G_VM}mx: *.wild.test\r\n${G_A}"
tc w-upper 0 'MX mail\.wild\.test: STARTTLS' 'MX in upper case in DNS, pattern in upper case' \
    mx='10 MAIL.Wild.Test.' pol="${G_VM}mx: *.WILD.test\r\n${G_A}"

# ---- HTTP (§3.3) --------------------------------------------------------------------------------

tc h-301 2 'status 301.*redirect' 'HTTP: 301 redirect (not followed)' \
    web=$'url.redirect = ("^/(.*)" => "https://mta-sts.t-min.probe.test/$1")\nurl.redirect-code = 301'
tc h-302 2 'status 302.*redirect' 'HTTP: 302 redirect (not followed)' \
    web=$'url.redirect = ("^/(.*)" => "https://mta-sts.t-min.probe.test/$1")\nurl.redirect-code = 302'
tc h-404 2 'status 404' 'HTTP: 404' pol=-
tc h-500 2 'status 500' 'HTTP: 500 with a policy body' raw='HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain'
tc h-html 2 "Content-Type 'text/html'" 'HTTP: text/html' \
    web='mimetype.assign = (".txt" => "text/html")'
tc h-octet 2 "Content-Type 'application/octet-stream'" 'HTTP: application/octet-stream' \
    web='mimetype.assign = (".txt" => "application/octet-stream")'
tc h-noctype 2 "Content-Type '\(none\)'" 'HTTP: no Content-Type' \
    raw='HTTP/1.1 200 OK'
tc h-ascii 0 'policy served' 'HTTP: text/plain; charset=us-ascii' \
    web='mimetype.assign = (".txt" => "text/plain; charset=us-ascii")'
tc h-plain 0 'policy served' 'HTTP: text/plain without charset' \
    web='mimetype.assign = (".txt" => "text/plain")'
tc h-upper 0 'policy served' 'HTTP: TEXT/PLAIN; Charset="UTF-8"' \
    web='mimetype.assign = (".txt" => "TEXT/PLAIN; Charset=\"UTF-8\"")'
tc h-param 0 'policy served' 'HTTP: text/plain; format=flowed (other parameters are ignored)' \
    web='mimetype.assign = (".txt" => "text/plain; format=flowed; charset=utf-8")'
tc h-latin1 0 "charset 'iso-8859-1' is ignored" 'HTTP: text/plain; charset=iso-8859-1 (other parameters are ignored, §3.2)' \
    web='mimetype.assign = (".txt" => "text/plain; charset=iso-8859-1")'
tc h-chunked 0 'policy served' 'HTTP: chunked body' \
    raw='HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked'
tc h-close 0 'policy served' 'HTTP: body delimited by the end of the connection' \
    raw='HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close'
tc h-http10 0 'policy served' 'HTTP: an HTTP/1.0 response' \
    raw='HTTP/1.0 200 OK\r\nContent-Type: text/plain'
tc h-continue 0 'policy served' 'HTTP: 100 Continue before the 200' \
    raw='HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain'
tc h-203 2 'status 203' 'HTTP: 203 with a valid policy (only 200 counts, §3.3)' \
    raw='HTTP/1.1 203 Non-Authoritative Information\r\nContent-Type: text/plain'
tc h-206 2 'status 206' 'HTTP: 206 with a valid policy (only 200 counts, §3.3)' \
    raw='HTTP/1.1 206 Partial Content\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-91/92'
tc h-empty 2 'empty policy' 'HTTP: 200 with an empty body' pol=''
tc h-lower 0 'policy served' 'HTTP: header names in lower case' \
    raw='HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8'
tc h-noreason 0 'policy served' 'HTTP: a status line without a reason phrase' \
    raw='HTTP/1.1 200 \r\nContent-Type: text/plain'
tc h-tls12 0 'policy served' 'HTTP: TLS 1.2 at most' addr=127.0.0.13
tc h-307 2 'status 307.*redirect' 'HTTP: 307 with a policy body' \
    raw='HTTP/1.1 307 Temporary Redirect\r\nLocation: https://mta-sts.t-min.probe.test/.well-known/mta-sts.txt\r\nContent-Type: text/plain'
tc h-wrongname 2 '[Cc]ertificate.*(name|match)' 'HTTP: certificate for another name' cert=wrongname
tc h-wildcert 0 'policy served' 'HTTP: a wildcard certificate *.DOMAIN' cert=wildweb
tc h-cnonly 2 '[Cc]ertificate.*(name|match)' 'HTTP: the name only in the subject CN, no subjectAltName (no CN fallback)' \
    cert=cnonly
tc h-partialwild 2 '[Cc]ertificate.*(name|match)' 'HTTP: a partial wildcard certificate mta-*.DOMAIN' \
    cert=partialwild
tc h-untrusted 2 '[Cc]ertificate' 'HTTP: a certificate from an unknown CA' cert=untrusted
tc h-expired 2 '[Ee]xpired' 'HTTP: expired certificate' cert=expired
tc h-tls11 2 'TLS 1\.2' 'HTTP: TLS 1.1 at most' addr=127.0.0.11
tc h-alias 0 'policy served' 'HTTP: mta-sts.DOMAIN is a CNAME to the web server' \
    addr=alias
tc h-noname 2 'mta-sts\.h-noname\.probe\.test' 'HTTP: mta-sts.DOMAIN does not resolve' addr=-

# ---- MX and STARTTLS (§4, §5) ------------------------------------------------------------

tc m-enf-uncov 2 'error: MX mx2\.example\.test matches no mx pattern' 'MX not covered, enforce' \
    pol="${G_VM}mx: mx1.example.test\r\n${G_A}"
tc m-test-uncov 1 'warning: MX mx2\.example\.test matches no mx pattern' 'MX not covered, testing' \
    pol="version: STSv1\r\nmode: testing\r\nmx: mx1.example.test\r\n${G_A}"
tc m-enf-plain 2 'error: MX mx-plain\.example\.test.*STARTTLS' 'MX without STARTTLS, enforce' \
    mx=$'10 mx1.example.test.\n20 mx-plain.example.test.' \
    pol="${G_VM}mx: *.example.test\r\n${G_A}"
tc m-test-plain 1 'warning: MX mx-plain\.example\.test.*STARTTLS' 'MX without STARTTLS, testing' \
    mx=$'10 mx1.example.test.\n20 mx-plain.example.test.' \
    pol="version: STSv1\r\nmode: testing\r\nmx: *.example.test\r\n${G_A}"
tc m-enf-cert 2 'error: MX mx-wrong\.example\.test: certificate' 'MX certificate for another name, enforce' \
    mx=$'10 mx1.example.test.\n20 mx-wrong.example.test.' \
    pol="${G_VM}mx: *.example.test\r\n${G_A}"
tc m-null 1 'null MX' 'null MX (RFC 7505)' mx='0 .'
tc m-unused 1 'warning: mx pattern mx3\.example\.test matches no MX host' \
    'an mx pattern that no MX host uses: a warning, even in enforce' \
    pol="${G_VM}${G_X}mx: mx3.example.test\r\n${G_A}"
tc m-none 0 'mode none' 'mode none: an MX not covered does not matter' \
    pol="version: STSv1\r\nmode: none\r\nmx: mx1.example.test\r\n${G_A}"

# ---- TLS-RPT -----------------------------------------------------------------------------

tc r-none 1 'warning: _smtp\._tls\.r-none\.probe\.test' 'no TLS-RPT record: a warning' rpt=-
tc r-multi 0 '_smtp\._tls\.r-multi\.probe\.test: v=TLSRPTv1; rua=mailto:a@probe\.test,https://r\.probe\.test/v1' \
    'TLS-RPT: two rua URIs, mailto: and https:' rpt='"v=TLSRPTv1; rua=mailto:a@probe.test,https://r.probe.test/v1"'
tc r-two 1 "warning: _smtp\\._tls\\.r-two\\.probe\\.test: 2 records begin with 'v=TLSRPTv1;'" \
    'TLS-RPT: two v=TLSRPTv1 records' rr='_smtp._tls.@N	TXT	"v=TLSRPTv1; rua=mailto:other@probe.test"'
tc r-norua 1 'warning: _smtp\._tls\.r-norua\.probe\.test: no rua field' 'TLS-RPT: no rua' \
    rpt='"v=TLSRPTv1; ruf=mailto:a@probe.test"'
tc r-ftp 1 'warning: _smtp\._tls\.r-ftp\.probe\.test: .*scheme must be mailto: or https:' \
    'TLS-RPT: an ftp: rua URI' rpt='"v=TLSRPTv1; rua=ftp://r.probe.test/"'
tc r-spsemi 1 'warning: _smtp\._tls\.r-spsemi\.probe\.test: no v=TLSRPTv1 record' \
    'TLS-RPT: "v=TLSRPTv1 ;" fails the prefix test' rpt='"v=TLSRPTv1 ; rua=mailto:a@probe.test"'
tc r-upper 1 'warning: _smtp\._tls\.r-upper\.probe\.test: no v=TLSRPTv1 record' \
    'TLS-RPT: "V=TLSRPTv1" (case-sensitive)' rpt='"V=TLSRPTv1; rua=mailto:a@probe.test"'

# ---- the zone, the web, the servers -----------------------------------------------------------

RAW=$T/raw
mkdir -p "$RAW"

# the body of case n
body() {
	if [ -n "${C_GEN[$1]:-}" ]; then
		"${C_GEN[$1]}"
	else
		printf '%b' "${C_POL[$1]}"
	fi
}

# the scripted server's response for case n
raw_response() {
	local n=$1 b
	b=$T/body.$n
	body "$n" >"$b"
	printf '%b' "${C_RAW[$n]}"
	case ${C_RAW[$n]} in
	*'Transfer-Encoding: chunked'*)
		printf '\r\n\r\n%x\r\n' 5
		head -c 5 "$b"
		printf '\r\n%x\r\n' $(($(wc -c <"$b") - 5))
		tail -c +6 "$b"
		printf '\r\n0\r\n\r\n'
		;;
	*'Connection: close')
		printf '\r\n\r\n'
		cat "$b"
		;;
	*)
		printf '\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' "$(wc -c <"$b")"
		cat "$b"
		;;
	esac
	rm -f "$b"
}

zone_records() {
	local n line host
	for n in $CASES; do
		if [ "${C_MX[$n]:-}" != - ]; then
			while IFS= read -r line; do
				printf '%s\tMX\t%s\n' "$n" "$line"
			done <<<"${C_MX[$n]:-$'10 mx1.example.test.\n20 mx2.example.test.'}"
		fi
		case ${C_ADDR[$n]} in
		-) ;;
		alias)
			printf 'mta-sts.%s\tCNAME\tweb.example.net.\n' "$n"
			C_ADDR[$n]=127.0.0.10
			;;
		*) printf 'mta-sts.%s\tA\t%s\n' "$n" "${C_ADDR[$n]}";;
		esac
		[ "${C_RPT[$n]}" != - ] &&
		    printf '_smtp._tls.%s\tTXT\t%s\n' "$n" "${C_RPT[$n]}"
		if [ "${C_TXT[$n]}" != - ]; then
			while IFS= read -r line; do
				printf '_mta-sts.%s\tTXT\t%s\n' "$n" "$line"
			done <<<"${C_TXT[$n]}"
		fi
		[ -n "${C_RR[$n]:-}" ] && printf '%s\n' "${C_RR[$n]}"
		host=mta-sts.$n.$Z
		case ${C_ADDR[$n]} in
		127.0.0.10)
			if [ -n "${C_CERT[$n]:-}" ]; then
				NOCERT=1 ns_vhost "$host" \
				    "ssl.pemfile = \"$NS_PKI/${C_CERT[$n]}.fullchain.pem\"
ssl.privkey = \"$NS_PKI/${C_CERT[$n]}.key\""
			else
				ns_vhost "$host" "${C_WEB[$n]:-}"
			fi
			[ "${C_POL[$n]}" = - ] ||
			    body "$n" >"$T/www/$host/.well-known/mta-sts.txt"
			;;
		127.0.0.11|127.0.0.12|127.0.0.13)
			NS_WEB_NAMES="$NS_WEB_NAMES $host"
			if [ -n "${C_RAW[$n]:-}" ]; then
				raw_response "$n" >"$RAW/$host"
			else
				{
					printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n'
					printf 'Content-Length: %d\r\nConnection: close\r\n\r\n' \
					    "$(body "$n" | wc -c)"
					body "$n"
				} >"$RAW/$host"
			fi
			;;
		esac
	done
	return 0
}
# the scripted cases live at 127.0.0.12
for n in $CASES; do
	[ -n "${C_RAW[$n]:-}" ] && C_ADDR[$n]=127.0.0.12
done
zone_records >"$T/probe.zone"
ns_zone "$Z" <"$T/probe.zone"
ns_zone example.net <<<$'web\tA\t127.0.0.10'
ns_zone wild.test <<'EOF'
@	A	127.0.0.20
mail	A	127.0.0.20
a.b	A	127.0.0.20
EOF

# cert_cn_only NAME CN: a leaf with CN and no subjectAltName, from the test CA
cert_cn_only() {
	local d=$NS_PKI
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/$1.ext"
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -keyout "$d/$1.key" -out "$d/$1.csr" -subj "/CN=$2" >"$d/$1.log" 2>&1 &&
	openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -set_serial "0x$(openssl rand -hex 12)" -days 30 -extfile "$d/$1.ext" \
	    -out "$d/$1.pem" >>"$d/$1.log" 2>&1 || { cat "$d/$1.log" >&2; return 1; }
	cat "$d/$1.pem" "$d/ca.pem" >"$d/$1.fullchain.pem"
}
ns_pki_extra() {
	cert_cn_only cnonly "mta-sts.h-cnonly.$Z" &&
	t_cert "$NS_PKI" partialwild "mta-*.h-partialwild.$Z" &&
	t_cert "$NS_PKI" wrongname www.wrongname.test &&
	t_cert_expired "$NS_PKI" expired "mta-sts.h-expired.$Z" &&
	t_cert "$NS_PKI" wildmx mail.wild.test wild.test a.b.wild.test &&
	t_cert "$NS_PKI" wildweb "*.h-wildcert.$Z" &&
	t_ca "$NS_PKI/other" &&
	t_cert "$NS_PKI/other" untrusted "mta-sts.h-untrusted.$Z" &&
	cp "$NS_PKI/other/untrusted.key" "$NS_PKI/untrusted.key" &&
	cp "$NS_PKI/other/untrusted.fullchain.pem" "$NS_PKI/untrusted.fullchain.pem"
}

cat >"$T/raw.py" <<'EOF'
# scripted HTTPS: the file RAWDIR/<Host> is the whole response, sent as is
import os, socket, ssl, sys, threading
cert, key, rawdir = sys.argv[1:4]
def serve(ctx, c):
    try:
        c.settimeout(10)
        s = ctx.wrap_socket(c, server_side=True)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 16384:
            b = s.recv(4096)
            if not b:
                break
            req += b
        host = ""
        for line in req.split(b"\r\n")[1:]:
            if line.lower().startswith(b"host:"):
                host = line[5:].strip().decode("ascii", "replace").lower()
        path = os.path.join(rawdir, os.path.basename(host))
        if host and os.path.isfile(path):
            with open(path, "rb") as f:
                s.sendall(f.read())
        else:
            s.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        s.close()
    except Exception:
        pass
def listen(addr, ctx):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, 443))
    l.listen(16)
    while True:
        c, _ = l.accept()
        threading.Thread(target=serve, args=(ctx, c), daemon=True).start()
new = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
new.load_cert_chain(cert, key)
old = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
old.load_cert_chain(cert, key)
old.set_ciphers("DEFAULT:@SECLEVEL=0")
old.minimum_version = ssl.TLSVersion.TLSv1
old.maximum_version = ssl.TLSVersion.TLSv1_1
tls12 = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls12.load_cert_chain(cert, key)
tls12.maximum_version = ssl.TLSVersion.TLSv1_2
threading.Thread(target=listen, args=("127.0.0.11", old), daemon=True).start()
threading.Thread(target=listen, args=("127.0.0.13", tls12), daemon=True).start()
listen("127.0.0.12", new)
EOF

start=$(date +%s)
t_ok "environment: Knot, lighttpd, smtpd in $NS" ns_start || {
	t_diag "cannot build the environment"
	t_done
}
t_ok "smtpd for wild.test" ns_smtpd 127.0.0.20 wildmx
ip netns exec "$NS" python3 "$T/raw.py" "$NS_PKI/web.fullchain.pem" "$NS_PKI/web.key" \
    "$RAW" >"$T/raw.log" 2>&1 &
t_bg $!
t_ok "scripted HTTPS servers" eval 'ns_wait_tcp 127.0.0.11 443 5 &&
    ns_wait_tcp 127.0.0.12 443 5 && ns_wait_tcp 127.0.0.13 443 5'
# the probe needs no configuration: just the resolver, the test CA, a
# timeout (no case waits for it; longer under valgrind, on a busy machine)
cat >"$T/probe.conf" <<EOF
resolver = 127.0.0.1
ca-file = $NS_PKI/ca.pem
timeout = $([ -n "${NS_CHECK_WRAP:-}" ] && echo 20 || echo 5)
EOF

# ---- the cases ---------------------------------------------------------------------------

ncases=0
for n in $CASES; do
	if [ -n "${T34_ONLY:-}" ]; then
		case " $T34_ONLY " in *" $n "*) ;; *) continue;; esac
	fi
	ncases=$((ncases + 1))
	CHK_CONF=$T/probe.conf ns_check probe "$n.$Z"
	t_is "$CHK_RC" "${C_RC[$n]}" "$n: ${C_WHAT[$n]}: exit ${C_RC[$n]}" ||
	    t_diag "$CHK_OUT"
	t_like "$CHK_OUT" "${C_RE[$n]}" "$n: the output says so" ||
	    t_diag "$CHK_OUT"
done
took=$(($(date +%s) - start))
t_diag "$ncases cases in ${took}s"

t_done
