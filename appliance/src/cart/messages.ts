/**
 * Every sentence the cart screen shows, in each language the configuration can pick.
 * French uses a no-break space (U+00A0) before ':' as French typography wants; the
 * layout never breaks a line there.
 */
export type Language = 'en' | 'fr';
export const languages: readonly Language[] = ['en', 'fr'];

export interface Messages {
  idleTitle: string;
  signalOk: string;
  signalMissing: string;
  sharingInstruction: string;
  /** Hotspot mode: the first QR code joins the phone to the box's own Wi-Fi. */
  joinWifiInstruction: string;
  joinWifiNext: string;
  linkOf(n: number, max: number): string;
  viewers(n: number): string;
  elapsed: string;
  anotherLink: string;
  /** A link moved to a new connection `n` times this session (a resume after a blip). */
  viewerChanged: (n: number) => string;
  holdToEnd: string;
  /** The sound is reaching the viewers; the gesture that mutes it for everyone. */
  soundShared: string;
  /** The sonographer muted it; the same gesture shares it again. */
  soundMuted: string;
  noSignalTitle: string;
  checkHdmi: string;
  endedTitle: string;
  endedBy: Record<'button' | 'max-duration' | 'no-viewer' | 'other', string>;
  noDeviceTitle: string;
  captureErrorTitle: string;
  replugDongle: string;
  /** The settings file (sonobox.toml) has a value the box cannot use. */
  configErrorTitle: string;
  configUsingDefault: string;
  /** mask.preset = "none": nothing of the scanner's screen is hidden (shown at every session start). */
  maskOff: string;
}

const en: Messages = {
  idleTitle: 'Press the button to share the scan',
  signalOk: 'Scanner signal: OK',
  signalMissing: 'No signal from the scanner',
  sharingInstruction: 'Scan with your phone to watch',
  joinWifiInstruction: "Scan to join the box's Wi-Fi",
  joinWifiNext: 'Then scan the next code',
  linkOf: (n, max) => `Link ${n}\u00a0/\u00a0${max}`,
  viewers: (n) => (n === 0 ? 'No one watching' : n === 1 ? '1 person watching' : `${n} people watching`),
  elapsed: 'Time',
  anotherLink: 'Press for another link',
  viewerChanged: (n) => (n === 1 ? 'Reconnected once' : `Reconnected ${n} times`),
  holdToEnd: 'Hold 2 s to end',
  soundShared: 'Sound shared · press twice to mute',
  soundMuted: 'Sound muted · press twice to share it',
  noSignalTitle: 'No picture from the scanner',
  checkHdmi: 'Check the HDMI cable',
  endedTitle: 'Session ended',
  endedBy: {
    button: 'Ended with the button',
    'max-duration': 'Time limit reached',
    'no-viewer': 'No one was watching',
    other: 'The session was closed',
  },
  noDeviceTitle: 'Capture dongle not found',
  captureErrorTitle: 'The capture stopped working',
  replugDongle: 'Unplug and replug the capture dongle',
  configErrorTitle: 'Check sonobox.toml on the SD card',
  configUsingDefault: 'Running with the default for it',
  maskOff: 'Mask off: patient details visible',
};

const fr: Messages = {
  idleTitle: "Appuyez sur le bouton pour partager l'échographie",
  signalOk: "Signal de l'échographe\u00a0: OK",
  signalMissing: "Aucun signal de l'échographe",
  sharingInstruction: 'Scannez avec votre téléphone pour regarder',
  joinWifiInstruction: 'Scannez pour rejoindre le Wi-Fi du boîtier',
  joinWifiNext: 'Puis scannez le code suivant',
  linkOf: (n, max) => `Lien ${n}\u00a0/\u00a0${max}`,
  viewers: (n) => (n === 0 ? 'Personne ne regarde' : n === 1 ? '1 personne regarde' : `${n} personnes regardent`),
  elapsed: 'Durée',
  anotherLink: 'Appuyez pour un autre lien',
  viewerChanged: (n) => (n === 1 ? 'Reconnecté une fois' : `Reconnecté ${n} fois`),
  holdToEnd: 'Maintenez 2\u00a0s pour terminer',
  soundShared: 'Son partagé · appuyez deux fois pour le couper',
  soundMuted: 'Son coupé · appuyez deux fois pour le partager',
  noSignalTitle: "Aucune image de l'échographe",
  checkHdmi: 'Vérifiez le câble HDMI',
  endedTitle: 'Séance terminée',
  endedBy: {
    button: 'Terminée avec le bouton',
    'max-duration': 'Durée maximale atteinte',
    'no-viewer': 'Personne ne regardait',
    other: 'La séance a été fermée',
  },
  noDeviceTitle: 'Boîtier de capture introuvable',
  captureErrorTitle: 'La capture ne fonctionne plus',
  replugDongle: 'Débranchez et rebranchez le boîtier de capture',
  configErrorTitle: 'Vérifiez sonobox.toml sur la carte SD',
  configUsingDefault: 'Valeur par défaut utilisée en attendant',
  maskOff: 'Sans masque\u00a0: patient visible',
};

export const messages: Record<Language, Messages> = { en, fr };

/** "m:ss" below an hour, "h:mm:ss" above. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}
