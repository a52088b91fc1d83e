// Preloaded into the CLI by the tests (`node -r`): on exit, whatever the exit code, writes the process's
// peak resident set size in KiB to the file CONVKIT_TEST_PEAK_RSS names, so that a test can bound memory.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.CONVKIT_TEST_PEAK_RSS;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
