/**
 * What posthog-js asks for besides capture: the remote config (`/array/<token>/config` and `config.js`) and the
 * feature flags (`/flags`, `/decide`). Onramp serves no flags, surveys or recordings, so both say so.
 */

/** Remote config posthog-js loads at start: everything Onramp does not serve is switched off. */
export function remoteConfig(token: string) {
  return {
    token,
    supportedCompression: ['gzip', 'gzip-js'],
    hasFeatureFlags: false,
    captureDeadClicks: false,
    capturePerformance: false,
    autocapture_opt_out: true,
    autocaptureExceptions: false,
    analytics: { endpoint: '/i/v0/e/' },
    elementsChainAsString: true,
    errorTracking: { autocaptureExceptions: false, suppressionRules: [] },
    sessionRecording: false,
    heatmaps: false,
    surveys: false,
    productTours: false,
    defaultIdentifiedOnly: true,
    siteApps: [],
  };
}

/** The script form of the remote config, which posthog-js loads with a `<script>` tag. */
export function remoteConfigScript(token: string): string {
  const config = JSON.stringify(remoteConfig(token));
  return `(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(token)}]={config:${config},siteApps:[]}})();`;
}

/** The `/flags` and `/decide` answer: no flags, nothing quota-limited. */
export function noFlags() {
  return { flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false, quotaLimited: [], requestId: crypto.randomUUID() };
}
