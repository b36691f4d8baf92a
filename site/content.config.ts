import { defineCollection, z } from 'astro:content';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';

/**
 * Quickstart pages name their language in frontmatter so the page can report `quickstart_started`
 * with a stable value (`curl`, `node`, `python`) rather than one parsed out of the URL.
 */
const quickstartSchema = z.object({
  quickstart: z.object({ language: z.enum(['curl', 'node', 'python']) }).optional(),
});

export const collections = {
  docs: defineCollection({ loader: docsLoader(), schema: docsSchema({ extend: quickstartSchema }) }),
};
