/**
 * Drift detection between Git's desired state and the live cluster (issue #5, DESIGN §1.8).
 * Pure: no I/O, no clock. Entry points: {@link detectDrift} and {@link driftFingerprint}.
 */
export {
  detectDrift,
  isOwned,
  parseOwnershipLabel,
  autoscaledTargets,
  DEFAULT_OWNERSHIP_LABEL,
  type DriftChange,
  type DriftItem,
  type DriftOptions,
  type OwnershipLabel,
} from './detect.ts';
export { driftFingerprint, fnv1a64, stableStringify, type FingerprintedItem } from './fingerprint.ts';
export { parseQuantity, compareQuantities, quantitiesEqual, type Quantity } from './quantity.ts';
export {
  formatPath,
  parsePath,
  compilePattern,
  matchesPattern,
  InvalidPathPattern,
  type FieldPath,
  type PathSegment,
  type PathPattern,
} from './path.ts';
export {
  apiGroup,
  desiredRef,
  liveRef,
  pairObjects,
  refKey,
  formatRef,
  type ObjectPair,
  type ObjectRef,
  type Pairing,
  type PairingOptions,
} from './pairing.ts';
export { normalizeSecret, maskPair, base64 } from './secrets.ts';
export { diffDeclared, isZeroValue, type FieldDiff } from './compare.ts';
export { compileRuleSet, type ObjectRules, type RuleSet, type RuleTables } from './ruleset.ts';
export * from './rules.ts';
