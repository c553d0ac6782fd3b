import type { ActivityDeps } from '.';

/** `cart-reminder` → `cartReminder`: a journey's key in `config.journeys`. */
const settingsKey = (journey: string) => journey.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());

export function createSettingsActivities({ journeys }: ActivityDeps) {
  return {
    /**
     * The journey's settings as the worker is configured now: a long-lived journey takes them
     * at its next continue-as-new. Null when the worker has none for it (keep what it has).
     */
    async journeySettings({ journey }: { journey: string }): Promise<unknown> {
      return Promise.resolve((journeys as Record<string, unknown> | undefined)?.[settingsKey(journey)] ?? null);
    },
  };
}
