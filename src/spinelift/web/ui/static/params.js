// How the inspector shows each mesh setting. Types, defaults and ranges come from the
// server (GET /api/v1/mesh-parameters, i.e. MeshSettings); labels and help live here.

export const PARAMETER_TEXT = {
  detail_factor: ["Detail", "Lower keeps more hull vertices and hugs the art tighter; higher gives fewer vertices and more overdraw."],
  alpha_threshold: ["Alpha threshold", "A pixel must be covered when its alpha is above this value (0-255)."],
  padding: ["Padding", "Margin in pixels kept around the art."],
  internal_vertex_density: ["Interior density", "Interior vertices for deformation; 0 adds none."],
  concave_factor: ["Fill concavities", "Bays shallower than this many pixels are filled."],
  max_hull_vertices: ["Max hull vertices", "A hard budget for the hull; 0 means no budget (else at least 3)."],
  min_contour_area: ["Min hole / island area", "Holes smaller than this many px² are filled."],
  blur_kernel_size: ["Mask blur", "Gaussian blur of the mask before thresholding (odd sizes)."],
  island_policy: ["Separate parts", "bridge joins every island into one hull; largest keeps only the largest; drop_small drops tiny islands."],
  hole_policy: ["Holes", "keep cuts holes out when that saves more overdraw than it costs; fill covers them."],
  binary_threshold: ["Mask threshold", "Threshold applied to the blurred mask."],
  density_scaling_factor: ["Density scale", "Pixels of kept area per interior vertex at density 100."],
  min_triangle_area: ["Min triangle area", "Interior vertices making triangles smaller than this (px²) are skipped."],
  min_angle: ["Min triangle angle", "Minimum angle (degrees) asked of the triangulation refinement."],
  hull_steiner_points: ["Refine hull edges", "Let the triangulator split hull edges for better triangles (adds hull vertices)."],
};

/** Shown first; the others go under "More settings". */
export const PRIMARY = [
  "detail_factor", "alpha_threshold", "padding", "internal_vertex_density",
  "concave_factor", "max_hull_vertices", "island_policy", "hole_policy",
];

export function labelOf(name) { return (PARAMETER_TEXT[name] || [name.replace(/_/g, " ")])[0]; }
export function helpOf(name) { return (PARAMETER_TEXT[name] || [null, ""])[1]; }

/** A slider step for a numeric setting. */
export function stepOf(spec) {
  if (spec.type === "int") return spec.name === "blur_kernel_size" ? 2 : 1;
  if (spec.name === "detail_factor") return 0.001;
  const span = spec.max - spec.min;
  return span <= 1 ? 0.01 : span <= 50 ? 0.1 : 1;
}

export function formatValue(spec, value) {
  if (spec.type === "float") {
    const step = stepOf(spec);
    const decimals = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step)));
    return Number(value).toFixed(decimals);
  }
  return String(value);
}
