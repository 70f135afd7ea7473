// prewarm.ts — loaded by the launcher before the request arrives, so the
// runtime's TypeScript support is ready when the service is imported.
export const ready: boolean = true;
