import { useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { newIdempotencyKey } from '../../api/client.js';
import { useOrg } from '../../app/org.js';

/**
 * Submitting a form that places an order (新购, 升配, 续订): one Idempotency-Key per opening of the form (a new
 * one after a refusal), no second request while one is in flight, the refusal kept for display, and on success
 * straight to the new unpaid order, where it can be paid.
 */
export function usePlaceOrder() {
  const { org } = useOrg();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const key = useRef(newIdempotencyKey());
  const submit = async (place: (idempotencyKey: string) => Promise<{ order: { id: string } }>) => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await place(key.current);
      navigate(`/orgs/${org.id}/orders/${r.order.id}`);
    } catch (e) {
      setError(e);
      key.current = newIdempotencyKey();
      setBusy(false);
    }
  };
  return { busy, error, submit };
}
