export const step = (msg) => console.log(`\x1b[36m▸\x1b[0m ${msg}`);
export const info = (msg) => console.log(`  ${msg}`);
export const warn = (msg) => console.log(`\x1b[33m!\x1b[0m ${msg}`);
export const fail = (msg) => console.error(`\x1b[31m✗\x1b[0m ${msg}`);
