import { DownOutlined } from '@ant-design/icons';
import { Button, type ButtonProps, Dropdown } from 'antd';
import { type ReactNode, useEffect, useRef, useState } from 'react';

export interface MenuButtonItem {
  key: string;
  label: ReactNode;
  danger?: boolean;
  testId?: string;
}

/**
 * A button that opens a menu (更多 → 取消订单), usable by keyboard: Enter, Space or ArrowDown opens it with the
 * focus on its first item, the arrows move, Enter chooses, Esc closes it back onto the button. antd's Dropdown
 * is mounted on the first opening only (a table with twenty of them renders faster), and the button keeps the
 * focus across that mount.
 */
export function MenuButton({
  label,
  items,
  onSelect,
  testId,
  buttonProps,
}: {
  label: ReactNode;
  items: MenuButtonItem[];
  onSelect(key: string): void;
  testId?: string;
  buttonProps?: ButtonProps;
}) {
  const [armed, setArmed] = useState(false);
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  // The Dropdown's first mount replaces the button: give the focus back to the new one.
  useEffect(() => {
    if (armed && refocus.current) {
      refocus.current = false;
      ref.current?.focus();
    }
  }, [armed]);
  const arm = () => {
    if (!armed) {
      refocus.current = document.activeElement === ref.current;
      setArmed(true);
    }
    setOpen(true);
  };
  const button = (
    <Button
      ref={ref}
      data-testid={testId}
      aria-haspopup="menu"
      aria-expanded={open}
      onClick={arm}
      onKeyDown={(e) => {
        if (!armed && (e.key === 'ArrowDown' || e.key === 'Enter' || e.key === ' ')) {
          e.preventDefault();
          arm();
        }
      }}
      {...buttonProps}
    >
      {label} <DownOutlined aria-hidden />
    </Button>
  );
  if (!armed) return button;
  return (
    <Dropdown
      trigger={['click']}
      open={open}
      autoFocus
      onOpenChange={setOpen}
      menu={{
        items: items.map((i) => ({
          key: i.key,
          danger: i.danger,
          label: <span data-testid={i.testId}>{i.label}</span>,
        })),
        onClick: ({ key }) => {
          setOpen(false);
          // after the menu has closed and handed the focus back, so that what the choice opens keeps it
          setTimeout(() => onSelect(key), 0);
        },
      }}
    >
      {button}
    </Dropdown>
  );
}
