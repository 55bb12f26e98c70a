from civicgrid.regions import selectors


def test_given_the_tree_when_a_point_lies_in_a_grid_then_grid_at_finds_it(tree):
    # given four square grids; when a point in the second is looked up
    hit = selectors.grid_at(118.715, 32.005)
    # then it is that grid, and a point outside all grids finds none
    assert hit is not None and hit.code == tree.grid_a2.code
    assert selectors.grid_at(100.0, 30.0) is None
