// @ts-check

import mdx from '@astrojs/mdx';
import react from '@astrojs/react';
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';

/**
 * The public project token posthog-js sends with every event. It is baked into the pages at build time
 * (`npm start` builds first), so it must match the server's ONRAMP_PROJECT_TOKEN.
 */
const projectToken = process.env.ONRAMP_PROJECT_TOKEN ?? 'phc_onramp_local';
/** The portal's public URL, when it has one (ONRAMP_PUBLIC_URL). */
const publicUrl = process.env.ONRAMP_PUBLIC_URL || undefined;

export default defineConfig({
  srcDir: './site',
  output: 'static',
  // Starlight has to come before mdx() so its remark plugins see the docs first.
  // The sitemap Starlight adds needs the portal's public URL. Without ONRAMP_PUBLIC_URL there is none to give it, so
  // an empty integration under the sitemap's name stands in (Starlight adds its own only when none is present).
  ...(publicUrl ? { site: publicUrl } : {}),
  integrations: [
    ...(publicUrl ? [] : [{ name: '@astrojs/sitemap', hooks: {} }]),
    starlight({
      title: 'Onramp Developers',
      description: 'Docs, quickstarts and API reference for the Onramp sandbox messaging API.',
      logo: { src: './site/assets/logo.svg', replacesTitle: false },
      customCss: ['./site/styles/docs.css'],
      favicon: '/favicon.svg',
      lastUpdated: false,
      pagination: true,
      components: {
        Head: './site/components/docs/Head.astro',
        Footer: './site/components/docs/Footer.astro',
        SocialIcons: './site/components/docs/PortalLinks.astro',
      },
      sidebar: [
        {
          label: 'Get started',
          items: [
            { label: 'Introduction', slug: 'docs/introduction' },
            { label: 'Authentication', slug: 'docs/authentication' },
            { label: 'Make your first call', slug: 'docs/first-call' },
          ],
        },
        {
          label: 'Quickstarts',
          items: [
            { label: 'All quickstarts', slug: 'quickstarts' },
            { label: 'curl', slug: 'quickstarts/curl' },
            { label: 'Node.js', slug: 'quickstarts/node' },
            { label: 'Python', slug: 'quickstarts/python' },
          ],
        },
        {
          label: 'Guides',
          items: [
            { label: 'Errors', slug: 'docs/errors' },
            { label: 'Rate limits', slug: 'docs/rate-limits' },
            { label: 'Pagination', slug: 'docs/pagination' },
            { label: 'Instrument your own API', slug: 'docs/instrument-your-api' },
          ],
        },
        {
          label: 'API reference',
          items: [
            { label: 'Overview', slug: 'docs/api' },
            { label: 'Create a message', slug: 'docs/api/create-message' },
            { label: 'Retrieve a message', slug: 'docs/api/retrieve-message' },
            { label: 'List messages', slug: 'docs/api/list-messages' },
          ],
        },
        {
          label: 'Resources',
          items: [{ label: 'Changelog', slug: 'docs/changelog' }],
        },
      ],
    }),
    react(),
    mdx(),
  ],
  vite: {
    define: {
      __ONRAMP_PROJECT_TOKEN__: JSON.stringify(projectToken),
    },
  },
});
