/**
 * Every word the parent reads, in English and French. Each problem says what to do
 * next (STYLE rule 7), in plain words for someone who is not technical.
 */
import type { ErrorReason, ViewerPhase } from './viewer-state.js';

export type Language = 'en' | 'fr';

/** pickLanguage: French for any `fr*` tag (fr, fr-FR, fr-CA, …), English otherwise. */
export function pickLanguage(tag: string | undefined): Language {
  return tag?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

export interface StatusText {
  readonly title: string;
  readonly detail: string;
}

export interface Messages {
  readonly pageTitle: string;
  readonly videoLabel: string;
  readonly tryAgain: string;
  readonly tapToPlay: string;
  /** The large control that turns the box's sound on (the video starts muted). */
  readonly tapToHear: string;
  /** The small control that turns it off again. */
  readonly muteSound: string;
  /** The sonographer muted the sound at the box, for everyone. */
  readonly soundMutedAtBox: string;
  /** The box sends no sound with this scan. */
  readonly noSound: string;
  readonly enterFullscreen: string;
  readonly exitFullscreen: string;
  /** The unsupported-browser screen's button, and what it says once the link is copied. */
  readonly copyLink: string;
  readonly linkCopied: string;
  /** Shown when the page may not write the clipboard (plain HTTP): copy it by hand. */
  readonly copyByHand: string;
  readonly phase: Record<Exclude<ViewerPhase, 'error'>, StatusText>;
  readonly error: Record<ErrorReason, StatusText>;
}

const en: Messages = {
  pageTitle: 'Live scan',
  videoLabel: 'Live ultrasound video',
  tryAgain: 'Try again',
  tapToPlay: 'Tap to play',
  tapToHear: 'Tap to hear the heartbeat',
  muteSound: 'Turn the sound off',
  soundMutedAtBox: 'The sonographer has turned the sound off',
  noSound: 'No sound with this scan',
  enterFullscreen: 'Full screen',
  exitFullscreen: 'Exit full screen',
  copyLink: 'Copy the link',
  linkCopied: 'Link copied. Paste it into Chrome or Safari.',
  copyByHand: 'Select the link below, copy it, and paste it into Chrome or Safari.',
  phase: {
    connecting: { title: 'Connecting to the scan…', detail: 'This takes a few seconds.' },
    live: { title: 'Live', detail: '' },
    reconnecting: { title: 'Connection lost. Reconnecting…', detail: 'Stay on the scan room’s Wi-Fi.' },
    'link-invalid': {
      title: 'This link has already been used or has expired.',
      detail: 'Ask the sonographer for a new one.',
    },
    ended: { title: 'The session has ended', detail: 'Thank you for watching.' },
    replaced: {
      title: 'This link is now playing on another connection.',
      detail: 'Only one phone can watch with a link. If that was not you, tell the sonographer.',
    },
  },
  error: {
    unsupported: {
      title: 'This browser cannot play the scan video.',
      detail: 'Open this link in Chrome or Safari. The link has not been used: it still works there.',
    },
    rejected: {
      title: 'The video could not start.',
      detail: 'Tap Try again. If it keeps failing, ask the sonographer for a new link.',
    },
    unreachable: {
      title: 'Cannot reach the scan box.',
      detail: 'Make sure your phone is on the scan room’s Wi-Fi (not mobile data), then tap Try again.',
    },
    'fingerprint-mismatch': {
      title: 'The video was blocked: this connection is not from the scan room’s box.',
      detail: 'Please tell the sonographer.',
    },
    lost: { title: 'The video stopped.', detail: 'Ask the sonographer for a new link.' },
    'secure-setup-failed': {
      title: 'Your phone reached the scan box, but the secure video connection did not start.',
      detail: 'Tap Try again. If it keeps failing, ask the sonographer for a new link and open it in Chrome or Safari.',
    },
    'no-picture': {
      title: 'The video arrives, but this browser shows no picture.',
      detail: 'Ask the sonographer for a new link and open it in Chrome or Safari.',
    },
  },
};

const fr: Messages = {
  pageTitle: 'Échographie en direct',
  videoLabel: 'Vidéo de l’échographie en direct',
  tryAgain: 'Réessayer',
  tapToPlay: 'Touchez pour lire',
  tapToHear: 'Touchez pour entendre les battements du cœur',
  muteSound: 'Couper le son',
  soundMutedAtBox: 'L’échographiste a coupé le son',
  noSound: 'Pas de son pour cette échographie',
  enterFullscreen: 'Plein écran',
  exitFullscreen: 'Quitter le plein écran',
  copyLink: 'Copier le lien',
  linkCopied: 'Lien copié. Collez-le dans Chrome ou Safari.',
  copyByHand: 'Sélectionnez le lien ci-dessous, copiez-le et collez-le dans Chrome ou Safari.',
  phase: {
    connecting: { title: 'Connexion à l’échographie…', detail: 'Cela prend quelques secondes.' },
    live: { title: 'En direct', detail: '' },
    reconnecting: { title: 'Connexion perdue. Reconnexion…', detail: 'Restez sur le Wi-Fi de la salle d’examen.' },
    'link-invalid': {
      title: 'Ce lien a déjà été utilisé ou a expiré.',
      detail: 'Demandez-en un nouveau à l’échographiste.',
    },
    ended: { title: 'La séance est terminée', detail: 'Merci de l’avoir suivie.' },
    replaced: {
      title: 'Ce lien est maintenant lu sur une autre connexion.',
      detail: 'Un seul téléphone peut regarder avec un lien. Si ce n’était pas vous, prévenez l’échographiste.',
    },
  },
  error: {
    unsupported: {
      title: 'Ce navigateur ne peut pas lire la vidéo de l’échographie.',
      detail: 'Ouvrez ce lien dans Chrome ou Safari. Le lien n’a pas servi : il y fonctionnera.',
    },
    rejected: {
      title: 'La vidéo n’a pas pu démarrer.',
      detail: 'Touchez Réessayer. Si cela recommence, demandez un nouveau lien à l’échographiste.',
    },
    unreachable: {
      title: 'Impossible de joindre le boîtier d’échographie.',
      detail: 'Vérifiez que votre téléphone est sur le Wi-Fi de la salle d’examen (pas sur les données mobiles), puis touchez Réessayer.',
    },
    'fingerprint-mismatch': {
      title: 'La vidéo a été bloquée : cette connexion ne vient pas du boîtier de la salle d’examen.',
      detail: 'Prévenez l’échographiste.',
    },
    lost: { title: 'La vidéo s’est arrêtée.', detail: 'Demandez un nouveau lien à l’échographiste.' },
    'secure-setup-failed': {
      title: 'Votre téléphone a joint le boîtier, mais la connexion vidéo sécurisée n’a pas démarré.',
      detail: 'Touchez Réessayer. Si cela recommence, demandez un nouveau lien à l’échographiste et ouvrez-le dans Chrome ou Safari.',
    },
    'no-picture': {
      title: 'La vidéo arrive, mais ce navigateur n’affiche pas d’image.',
      detail: 'Demandez un nouveau lien à l’échographiste et ouvrez-le dans Chrome ou Safari.',
    },
  },
};

export const MESSAGES: Record<Language, Messages> = { en, fr };

/** statusText: the banner for a phase (and, in `error`, its reason). */
export function statusText(m: Messages, phase: ViewerPhase, reason: ErrorReason | null): StatusText {
  if (phase === 'error') return m.error[reason ?? 'unreachable'];
  return m.phase[phase];
}
