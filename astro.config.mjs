// @ts-check
import { defineConfig } from 'astro/config';
import react from '@astrojs/react';
import mdx from '@astrojs/mdx';

export default defineConfig({
  srcDir: './site',
  output: 'static',
  integrations: [react(), mdx()],
});
