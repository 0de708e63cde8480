import type { ReactNode } from 'react'

// Hand-drawn 20×20 stroke icons; items without one show the editor package's text label.
const stroke = {
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.8,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const

function Svg({ children }: { children: ReactNode }) {
  return (
    <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false" {...stroke}>
      {children}
    </svg>
  )
}

const ICONS: Partial<Record<string, ReactNode>> = {
  link: (
    <Svg>
      <path d="M8.5 11.5a3.2 3.2 0 0 0 4.6 0l2.6-2.6a3.2 3.2 0 0 0-4.6-4.6l-.9.9" />
      <path d="M11.5 8.5a3.2 3.2 0 0 0-4.6 0l-2.6 2.6a3.2 3.2 0 0 0 4.6 4.6l.9-.9" />
    </Svg>
  ),
  'bullet-list': (
    <Svg>
      <circle cx="4.5" cy="5.5" r=".6" fill="currentColor" />
      <circle cx="4.5" cy="10" r=".6" fill="currentColor" />
      <circle cx="4.5" cy="14.5" r=".6" fill="currentColor" />
      <path d="M8 5.5h8.5M8 10h8.5M8 14.5h8.5" />
    </Svg>
  ),
  'ordered-list': (
    <Svg>
      <path d="M3.5 4.5h1.2v3M3.4 7.5h2.6M3.5 12.2c.3-.6.8-.9 1.3-.9.7 0 1.2.4 1.2 1 0 .9-1.4 1.5-2.5 2.8H6" />
      <path d="M9 5.5h7.5M9 10h7.5M9 14.5h7.5" />
    </Svg>
  ),
  blockquote: (
    <Svg>
      <path d="M4 4.5v11" />
      <path d="M8 6.5h8.5M8 10h8.5M8 13.5h5.5" />
    </Svg>
  ),
  'code-block': (
    <Svg>
      <rect x="2.8" y="3.8" width="14.4" height="12.4" rx="2.2" />
      <path d="M8 8.2 6 10l2 1.8M12 8.2l2 1.8-2 1.8" />
    </Svg>
  ),
  code: (
    <Svg>
      <path d="M7 6 3 10l4 4M13 6l4 4-4 4" />
    </Svg>
  ),
  'horizontal-rule': (
    <Svg>
      <path d="M3 10h14" />
      <path d="M6 5.5h8M6 14.5h8" opacity=".35" />
    </Svg>
  ),
  undo: (
    <Svg>
      <path d="M7.5 5 4 8.5 7.5 12" />
      <path d="M4.5 8.5h7a4.5 4.5 0 0 1 0 9H9" />
    </Svg>
  ),
  redo: (
    <Svg>
      <path d="M12.5 5 16 8.5 12.5 12" />
      <path d="M15.5 8.5h-7a4.5 4.5 0 0 0 0 9H11" />
    </Svg>
  ),
}

/** The icon for a toolbar id, or null when the text label reads better (B, I, H1…). */
export function toolbarIcon(id: string): ReactNode {
  return ICONS[id] ?? null
}
