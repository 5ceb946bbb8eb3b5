"""Chapter 03: the augmentation helpers move pixels where they say."""
import numpy as np
import pytest
import torch

from dlnotes import augment


def dot(H=9, W=9, r=2, c=6):
    img = np.zeros((1, H, W), dtype=np.float32)
    img[0, r, c] = 1.0
    return img


def test_integer_shift_moves_pixels_exactly():
    out = augment.shift(dot(), 1, 2)              # right 1, down 2
    assert out.shape == (1, 9, 9) and isinstance(out, np.ndarray)
    assert np.unravel_index(out[0].argmax(), (9, 9)) == (4, 7)
    np.testing.assert_allclose(out.sum(), 1.0, atol=1e-6)


def test_rotation_by_90_is_counter_clockwise_and_identity_is_exact():
    img = dot(r=4, c=7)                           # right of the centre (4, 4)
    out = augment.rotate(img, 90.0)
    assert np.unravel_index(out[0].argmax(), (9, 9)) == (1, 4)   # now above it
    np.testing.assert_allclose(augment.affine(img), img, atol=1e-6)


def test_scale_moves_a_pixel_away_from_the_centre():
    out = augment.scale(dot(H=11, W=11, r=5, c=7), 2.0)
    assert np.unravel_index(out[0].argmax(), (11, 11)) == (5, 9)


def test_flip_and_torch_in_torch_out():
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    out = augment.flip(x)
    assert torch.is_tensor(out)
    torch.testing.assert_close(out[0, 0, 0], torch.tensor([3.0, 2.0, 1.0, 0.0]))
    torch.testing.assert_close(augment.flip(x, horizontal=False)[0, 0, :, 0],
                               torch.tensor([8.0, 4.0, 0.0]))


def test_random_affine_is_reproducible_and_per_image():
    x = np.repeat(dot(), 4, axis=0)
    a = augment.random_affine(x, generator=torch.Generator().manual_seed(0))
    b = augment.random_affine(x, generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[0], a[1])


def test_bad_input_raises():
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, C, H, W\)"):
        augment.rotate(np.zeros((4, 4), dtype=np.float32), 10)
    with pytest.raises(ValueError, match="one per image"):
        augment.shift(np.zeros((2, 4, 4), dtype=np.float32), [1, 2, 3], 0)
    with pytest.raises(ValueError, match="factor must be > 0"):
        augment.scale(np.zeros((2, 4, 4), dtype=np.float32), 0.0)


def test_augmented_batches_warp_every_pass_and_keep_labels():
    x = torch.rand(6, 1, 8, 8)
    y = torch.arange(6)
    batches = [(x[:3], y[:3]), (x[3:], y[3:])]
    aug = augment.AugmentedBatches(batches, seed=0, max_degrees=20)
    first, second = list(aug), list(aug)
    assert len(aug) == 2 and torch.equal(first[1][1], y[3:])
    assert first[0][0].shape == (3, 1, 8, 8)
    assert not torch.allclose(first[0][0], second[0][0])
