import { newId } from '@ais/domain';
import { ulidFloor } from './retention.service.js';

describe('ulidFloor', () => {
  it('sorts below every id made at or after that millisecond and above those made before', () => {
    const now = Date.now();
    const floor = `whd_${ulidFloor(now)}`;
    expect(newId('webhookDelivery', now + 1) > floor).toBe(true);
    expect(`whd_${ulidFloor(now - 1)}` < floor).toBe(true);
    expect(ulidFloor(0)).toBe('0'.repeat(26));
  });
});
