/** The pages of the administration area, in the order of its navigation (admins only). */
export const ADMIN_SECTIONS = [
  { slug: 'policy', label: 'Policy' },
  { slug: 'users', label: 'Users' },
  { slug: 'connections', label: 'Connections' },
  { slug: 'drop-folders', label: 'Drop folders' },
  { slug: 'links', label: 'All links' },
  { slug: 'tokens', label: 'API tokens' },
  { slug: 'mail', label: 'Mail queue' },
  { slug: 'branding', label: 'Branding' },
  { slug: 'email-templates', label: 'Email templates' },
] as const;

export type AdminSection = (typeof ADMIN_SECTIONS)[number]['slug'];
