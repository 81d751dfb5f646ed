# A domain file: any of mode, max-age, mx, certs, tlsrpt, and the checker's
# publish, dns-server, tsig-key, hook, id-zone, tlsrpt-zone, tlsrpt-hook,
# web-host.
# Empty is fine: everything then comes from mta-sts.conf.
mode = enforce
mx = mx1.example.com, mx2.example.com
