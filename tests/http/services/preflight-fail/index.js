// preflight-fail — never runs through the API unless preflight is skipped.
console.log("ran anyway");
