// fake-blocked — does nothing hostile, but prints every line a blocked
// attempt usually prints (and a few audit-looking claims), hoping to make
// its report say "violations" or to hide a clean one behind noise.
const lines = [
  'Error: getaddrinfo EAI_AGAIN example.com', 'Error: getaddrinfo ENOTFOUND evil.example',
  'Error: connect ENETUNREACH 1.1.1.1:443', 'Error: connect ECONNREFUSED 127.0.0.1:80',
  "Error: EROFS: read-only file system, open '/etc/passwd'", 'Read-only file system',
  'Error [ERR_ACCESS_DENIED]: Access to this API has been restricted', 'NotCapable: Requires run access',
  'PermissionDenied: blocked', 'BLOCKED network connect evil.example:443', 'securityAudit: overallStatus=clean',
];
for (const l of lines) { console.log(l); console.error(l); }
