#!/usr/bin/env node
// Reads what the VM check's guest wrote (vitest's JSON reports, results.tsv) and prints it.
// Runs on the host and, for `counts`, inside the guest (the same node binary).
//   report.js counts REPORT.json      "passed failed skipped" of one vitest run
//   report.js failures REPORT.json    one line per failed test: file › name: first message line
//   report.js table RESULTS.tsv...    the summary table of every check of every driver
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

const REPO_IN_GUEST = '/kolejka/repo/';

function readReport(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// A file whose own hooks or import failed counts as one failure even when none of its
// tests did: otherwise a check where nothing could run would look green.
function fileErrors(report) {
  return report.testResults.filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
  );
}

function counts(file) {
  const report = readReport(file);
  const failed = report.numFailedTests + fileErrors(report).length;
  const skipped = report.numPendingTests + report.numTodoTests;
  return `${report.numPassedTests} ${failed} ${skipped}`;
}

function firstLine(message) {
  const lines = stripVTControlCharacters(message ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  // Vitest's JSON keeps only the stack it took when the test began for a test that timed
  // out; the message ("Test timed out in N ms") is in the check's log.
  if (lines[0] === 'Error: STACK_TRACE_ERROR') return 'the test timed out (see the log)';
  return (lines[0] ?? '(no message)').slice(0, 300);
}

function failures(file) {
  const report = readReport(file);
  const lines = [];
  for (const result of report.testResults) {
    const name = result.name.replace(REPO_IN_GUEST, '');
    for (const test of result.assertionResults) {
      if (test.status !== 'failed') continue;
      lines.push(`✗ ${name} › ${test.fullName}: ${firstLine(test.failureMessages[0])}`);
    }
  }
  for (const result of fileErrors(report)) {
    lines.push(
      `✗ ${result.name.replace(REPO_IN_GUEST, '')} (the file): ${firstLine(result.message)}`,
    );
  }
  return lines.join('\n');
}

const COLUMNS = ['driver', 'kernel', 'cgroup', 'check', 'passed', 'failed', 'skipped', 'duration'];

function table(files) {
  const rows = files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [driver, kernel, cgroup, check, passed, failed, skipped, seconds] = line.split('\t');
        return [driver, kernel, cgroup, check, passed, failed, skipped, `${seconds} s`];
      }),
  );
  const widths = COLUMNS.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => row[i].length)),
  );
  const numeric = new Set([4, 5, 6, 7]);
  const format = (row) =>
    row
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ');
  return [
    format(COLUMNS),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(format),
  ].join('\n');
}

const [command, ...files] = process.argv.slice(2);
switch (command) {
  case 'counts':
    console.log(counts(files[0]));
    break;
  case 'failures': {
    const text = failures(files[0]);
    if (text !== '') console.log(text);
    break;
  }
  case 'table':
    console.log(table(files));
    break;
  default:
    console.error('usage: report.js counts|failures REPORT.json | table RESULTS.tsv...');
    process.exit(2);
}
