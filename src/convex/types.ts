/**
 * The shape of one row returned by `meetings/webrtc/index:getActiveSessions`, as promised by
 * Connvo's OpenAPI document (`Response_meetings.webrtc.index.getActiveSessions` → `value[]`).
 * Rows reach this type only after the response validator has checked the required fields.
 */
export const SESSION_STATES = ["connecting", "connected", "disconnected", "failed", "closed"] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export const CONNECTION_QUALITIES = ["excellent", "good", "fair", "poor"] as const;
export type ConnectionQuality = (typeof CONNECTION_QUALITIES)[number];

export interface SessionUser {
  _id: string;
  displayName?: string;
  avatarUrl?: string;
}

export interface SessionRow {
  _id: string;
  _creationTime: number;
  meetingId: string;
  sessionId: string;
  state: SessionState;
  userId: string;
  user: SessionUser;
  connectionQuality?: ConnectionQuality;
  lastMetricsAt?: number;
  createdAt: number;
  updatedAt: number;
  metadata?: Record<string, unknown>;
}
