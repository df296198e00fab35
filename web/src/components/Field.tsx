import type { InputHTMLAttributes, Ref } from 'react';

/** A labelled text input with an optional hint (read by screen readers with the field). */
export function TextField({
  id,
  label,
  hint,
  ref,
  ...input
}: {
  id: string;
  label: string;
  hint?: string;
  ref?: Ref<HTMLInputElement>;
} & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        ref={ref}
        id={id}
        className="input"
        aria-describedby={hint ? `${id}-hint` : undefined}
        {...input}
      />
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
    </div>
  );
}
