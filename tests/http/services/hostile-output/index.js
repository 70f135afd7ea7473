// hostile-output — output that is hostile HTML and not valid UTF-8: a report
// page must show it as text, the API must still answer valid JSON.
console.log("<script>alert(1)</script>");
console.log('<img src=x onerror="alert(2)"> & "quotes" \'single\'');
process.stdout.write(Buffer.from([0x62, 0x61, 0x64, 0x3a, 0xff, 0xfe, 0xc3, 0x28, 0x0a]));
process.stderr.write(Buffer.from([0x3c, 0x2f, 0x70, 0x72, 0x65, 0x3e, 0xed, 0xa0, 0x80, 0x0a]));
