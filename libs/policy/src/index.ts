export {
  DEFAULT_POLICY,
  GATE_MODES,
  ONE_TIME_MODES,
  POLICY_ROLES,
  PolicyInvalidError,
  parsePolicy,
  policySchema,
  validatePolicy,
  type CreatorsPolicy,
  type DownloadsPolicy,
  type EmailVerificationPolicy,
  type ExpiryPolicy,
  type FilesPolicy,
  type GateMode,
  type NotificationsPolicy,
  type OneTimeMode,
  type OneTimePolicy,
  type PasswordPolicy,
  type PolicyDocument,
  type PolicyInput,
  type PolicyIssue,
  type PolicyOverride,
  type PolicyRole,
  type PolicySection,
  type PolicySections,
  type RecipientsPolicy,
} from './policy.schema.js';
export { effectivePolicy, looserOverrides, stricterOrEqual, type EffectivePolicy, type EffectiveRecipientsPolicy, type LooserOverride } from './effective-policy.js';
export {
  EXPIRY_SLACK_MS,
  POLICY_RULES,
  PolicyViolationError,
  applyPolicy,
  assertCreator,
  generatePassword,
  linkViolations,
  type Creator,
  type ExistingLink,
  type LinkRequest,
  type PolicyRule,
  type ResolvedLinkOptions,
} from './apply-policy.js';
export { domainCovers, emailDomain, normalizeDomain } from './domains.js';
export { PolicyFileError, loadPolicyFile, parsePolicyYaml, type PolicyFileProblem } from './policy-file.js';
export { policyDiff, type PolicyChange } from './policy-diff.js';
export { PolicyRepository, type PolicyVersion } from './policy.repository.js';
export { LooserOverrideError, PolicyService, type CurrentPolicy, type ReplacePolicyOptions } from './policy.service.js';
export { PolicyModule } from './policy.module.js';
