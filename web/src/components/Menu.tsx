// A menu button (WAI-ARIA menu pattern): opens below its button, arrow keys move, Escape closes and gives
// focus back, a click outside closes it.
import { type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { Icon, type IconName } from './Icon.tsx';

export type MenuItem =
  | { label: string; icon?: IconName; onSelect: () => void; disabled?: boolean }
  | { separator: true }
  | { heading: string };

export function Menu({
  label,
  items,
  icon = 'more',
  buttonClass = 'icon-button small',
  children,
}: {
  label: string;
  items: () => MenuItem[];
  icon?: IconName;
  buttonClass?: string;
  children?: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const [position, setPosition] = useState({ top: 0, left: 0 });

  useLayoutEffect(() => {
    if (!open || !button.current || !menu.current) return;
    const anchor = button.current.getBoundingClientRect();
    const box = menu.current.getBoundingClientRect();
    const top =
      anchor.bottom + 4 + box.height > window.innerHeight
        ? Math.max(8, anchor.top - box.height - 4)
        : anchor.bottom + 4;
    const left = Math.max(8, Math.min(anchor.right - box.width, window.innerWidth - box.width - 8));
    setPosition({ top, left });
    menu.current.querySelector<HTMLElement>('[role="menuitem"]:not([disabled])')?.focus();
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!menu.current?.contains(event.target as Node) && !button.current?.contains(event.target as Node))
        setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    const options = [
      ...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]:not([disabled])') ?? []),
    ];
    const at = options.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault();
      close();
    } else if (event.key === 'ArrowDown') {
      event.preventDefault();
      options[(at + 1) % options.length]?.focus();
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      options[(at - 1 + options.length) % options.length]?.focus();
    } else if (event.key === 'Home') {
      event.preventDefault();
      options[0]?.focus();
    } else if (event.key === 'End') {
      event.preventDefault();
      options.at(-1)?.focus();
    }
  };

  return (
    <>
      <button
        ref={button}
        type="button"
        className={buttonClass}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        title={label}
        onClick={(event) => {
          event.stopPropagation();
          setOpen((value) => !value);
        }}
      >
        {children ?? <Icon name={icon} />}
      </button>
      {open &&
        createPortal(
          <div
            ref={menu}
            className="menu"
            role="menu"
            aria-label={label}
            style={{ top: position.top, left: position.left }}
            onKeyDown={onKeyDown}
          >
            {items().map((item, index) => {
              if ('separator' in item) return <hr key={`s${index}`} />;
              if ('heading' in item)
                return (
                  <div key={`h${index}`} className="menu-label" role="presentation">
                    {item.heading}
                  </div>
                );
              return (
                <button
                  key={item.label}
                  type="button"
                  role="menuitem"
                  disabled={item.disabled}
                  onClick={() => {
                    close();
                    item.onSelect();
                  }}
                >
                  {item.icon && <Icon name={item.icon} />}
                  {item.label}
                </button>
              );
            })}
          </div>,
          document.body,
        )}
    </>
  );
}
